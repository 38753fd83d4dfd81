import { describe, expect, it } from 'vitest';
import { planLab } from '../../src/plan/index.js';
import { renderNft } from '../../src/plan/nft-ruleset.js';
import { shippedLab } from '../helpers/labs.js';

/*
 * flanneld's nftables mode on a node (flannel pkg/trafficmngr/nftables):
 * the masquerade chain of its e2e golden test, the forward chain
 * --iptables-forward-rules (default true) adds, and the IPv6 table it makes
 * even in an IPv4-only cluster (issue #25 item 8).
 */
describe("flannel's nftables tables", () => {
  const plan = planLab(shippedLab('services'), { stateDir: '/run/netlab/services' });
  const loads = plan.stages.flatMap((s) => s.ops).filter((op) => op.kind === 'nft.load' && op.netns === 'netlab.services.node.node1');
  const text = (table: string) => {
    const op = loads.find((o) => o.kind === 'nft.load' && o.table === table);
    return op?.kind === 'nft.load' ? renderNft(op.ruleset) : '';
  };

  it('accepts forwarded pod-network traffic in a forward chain of its own', () => {
    const v4 = text('ip flannel-ipv4');
    expect(v4).toContain('add chain ip flannel-ipv4 forward { type filter hook forward priority filter ; comment "chain to accept flannel traffic" ; }');
    expect(v4).toContain('add rule ip flannel-ipv4 forward ip saddr 10.244.0.0/16 accept');
    expect(v4).toContain('add rule ip flannel-ipv4 forward ip daddr 10.244.0.0/16 accept');
  });

  it('makes the empty ip6 flannel-ipv6 table beside it', () => {
    expect(text('ip6 flannel-ipv6')).toContain('add table ip6 flannel-ipv6 { comment "rules for flannel-ipv6" ; }');
  });
});

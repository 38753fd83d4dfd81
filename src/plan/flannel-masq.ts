import { bridgeNodes } from '../lab/node-pods.js';
import type { BridgeNode, Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import { nftCommands, replacing, type NftRuleset } from './nft-ruleset.js';

const T = 'ip flannel-ipv4';
const T6 = 'ip6 flannel-ipv6';
const nft = nftCommands;

/**
 * flanneld's --ip-masq in nftables mode (pkg/trafficmngr/nftables, the rules
 * flannel's e2e golden test pins): pods reaching anything outside the pod
 * network leave with their node's address, pod-to-pod traffic never does,
 * and a packet kube-proxy marked for masquerade is left to kube-proxy. Only
 * labs with somewhere outside to reach (the `external` client) get it, so
 * the plain pod-network labs stay exactly as they were.
 */
export function planFlannelMasq(lab: Lab): Contribution[] {
  // Calico masquerades by its IP pool's natOutgoing, not flannel's table.
  if (!lab.external || lab.network.backend.kind === 'calico') return [];
  return bridgeNodes(lab).map((node) => ({
    services: [
      { kind: 'nft.load' as const, netns: node.netns, table: T, ruleset: flannelMasqRuleset(lab, node) },
      // flanneld makes its IPv6 table too, empty in an IPv4-only cluster (pkg/trafficmngr/nftables Init).
      {
        kind: 'nft.load' as const,
        netns: node.netns,
        table: T6,
        ruleset: replacing(T6, [nft.addTable('comment "rules for flannel-ipv6"')], "Replaces flannel's IPv6 table."),
      },
    ],
  }));
}

export function flannelMasqRuleset(lab: Lab, node: BridgeNode): NftRuleset {
  const cluster = lab.network.podCIDR;
  const own = node.podSubnet;
  const rule = (r: string) => nft.rule('postrtg', r);
  return replacing(
    T,
    [
      nft.addTable('comment "rules for flannel-ipv4"'),
      nft.chain('postrtg', 'type nat hook postrouting priority srcnat ; comment "chain to manage traffic masquerading by flannel"'),
      rule('meta mark 0x00004000 return'),
      rule(`ip saddr ${own} ip daddr ${cluster} return`),
      rule(`ip saddr ${cluster} ip daddr ${own} return`),
      rule(`ip saddr != ${own} ip daddr ${cluster} return`),
      rule(`ip saddr ${cluster} ip daddr != 224.0.0.0/4 masquerade fully-random`),
      rule(`ip saddr != ${cluster} ip daddr ${cluster} masquerade fully-random`),
      // --iptables-forward-rules (default true): the pod network is forwarded whatever the host's forward policy.
      nft.chain('forward', 'type filter hook forward priority filter ; comment "chain to accept flannel traffic"'),
      nft.rule('forward', `ip saddr ${cluster} accept`),
      nft.rule('forward', `ip daddr ${cluster} accept`),
    ],
    "Replaces flannel's table in one transaction (add first, so the delete never fails).",
  );
}

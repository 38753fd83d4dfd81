import { describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/types.js';
import { iptablesRuleset } from '../../src/plan/kube-proxy/iptables.js';
import { iptEndpointChain, iptServiceChain, servicePortName } from '../../src/plan/kube-proxy/names.js';
import { nftablesRuleset } from '../../src/plan/kube-proxy/nftables.js';
import { renderIptables } from '../../src/plan/iptables-ruleset.js';
import { renderNft } from '../../src/plan/nft-ruleset.js';
import { planLab } from '../../src/plan/index.js';
import { labOf, shippedLab } from '../helpers/labs.js';

/*
 * kube-proxy's edge cases as upstream writes them (issue #25), each pinned
 * to the upstream source it comes from:
 * - pkg/proxy/types.go ServicePortName.String (fmtPortName: a colon only
 *   before a port name);
 * - pkg/proxy/serviceport.go UsesClusterEndpoints/UsesLocalEndpoints;
 * - pkg/proxy/nftables/proxier.go and pkg/proxy/iptables/proxier.go
 *   syncProxyRules: usesExternalTrafficChain (hasEndpoints, not
 *   hasExternalEndpoints), the no-endpoint verdicts, the policy chains.
 */

const nftOf = (lab: Lab, node: string) =>
  renderNft(
    nftablesRuleset(
      lab,
      lab.nodes.find((n) => n.name === node)!,
    ),
  );
const iptOf = (lab: Lab, node: string) =>
  renderIptables(
    iptablesRuleset(
      lab,
      lab.nodes.find((n) => n.name === node)!,
    ),
  );
const lines = (text: string, pattern: RegExp) => text.split('\n').filter((l) => pattern.test(l));

describe('an unnamed service port is `ns/name`, with no colon (item 5)', () => {
  const lab = shippedLab('services');
  const svc = lab.services.find((s) => s.name === 'web-np')!;
  const port = svc.ports[0]!;

  it('in the name both modes print', () => {
    expect(port.name).toBe('');
    expect(servicePortName(svc, port)).toBe('default/web-np');
  });

  it('and in the iptables hashes taken over it', () => {
    // base32(sha256("default/web-np" + "tcp"))[:16]; with the colon it was JJY6R7MK3RNCSSKZ.
    expect(iptServiceChain('KUBE-SVC-', svc, port)).toBe('KUBE-SVC-4UDSYVHJNXWHWIRT');
    expect(iptEndpointChain(svc, port, '10.244.0.2', 8080)).toMatch(/^KUBE-SEP-/);
    expect(iptOf(lab, 'node1')).toContain('-A KUBE-NODEPORTS -m comment --comment default/web-np -m tcp -p tcp --dport 30080 -j KUBE-EXT-4UDSYVHJNXWHWIRT');
    expect(iptOf(lab, 'node1')).not.toMatch(/default\/web-np:/);
    expect(nftOf(lab, 'node1')).not.toMatch(/"default\/web-np:/);
  });
});

describe('externalTrafficPolicy Local on a node with no endpoint of its own (item 1)', () => {
  const lab = shippedLab('service-policies');

  it('nftables: the NodePort still goes to the external chain, which short-circuits pods and the node, and the rest is dropped', () => {
    const node3 = nftOf(lab, 'node3');
    const external = /external-\w{8}-default\/web-local\/tcp\//.exec(node3)![0];
    const cluster = external.replace('external-', 'service-');
    expect(node3).toContain(`add element ip kube-proxy service-nodeports { tcp . 30100 : goto ${external} }`);
    expect(node3).toContain('add element ip kube-proxy no-endpoint-nodeports { tcp . 30100 comment "default/web-local" : drop }');
    expect(lines(node3, new RegExp(`^add rule ip kube-proxy ${external.replace(/\//g, '\\/')} `)).map((l) => l.split(`${external} `)[1])).toEqual([
      `ip saddr 10.244.0.0/16 goto ${cluster} comment "short-circuit pod traffic"`,
      'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
      `fib saddr type local goto ${cluster} comment "short-circuit local traffic"`,
    ]);
    // No local chain: there is nothing local to send to.
    expect(node3).not.toMatch(/local-\w{8}-default\/web-local/);
  });

  it('iptables: KUBE-NODEPORTS jumps to KUBE-EXT-, which short-circuits, and KUBE-EXTERNAL-SERVICES drops the rest', () => {
    const node3 = iptOf(lab, 'node3');
    const ext = /-j (KUBE-EXT-\w{16})/.exec(lines(node3, /default\/web-local -m tcp -p tcp --dport 30100/)[0]!)![1]!;
    const svcChain = ext.replace('KUBE-EXT-', 'KUBE-SVC-');
    expect(node3).toContain(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web-local has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30100 -j DROP',
    );
    expect(lines(node3, new RegExp(`^-A ${ext} `))).toEqual([
      `-A ${ext} -m comment --comment "pod traffic for default/web-local external destinations" -s 10.244.0.0/16 -j ${svcChain}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for default/web-local external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for default/web-local external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`,
    ]);
    expect(node3).not.toContain(ext.replace('KUBE-EXT-', 'KUBE-SVL-'));
  });

  it('a node with an endpoint sends the rest to its local chain', () => {
    const node1 = nftOf(lab, 'node1');
    expect(node1).toMatch(/add rule ip kube-proxy external-\w{8}-default\/web-local\/tcp\/ goto local-\w{8}-default\/web-local\/tcp\//);
    expect(node1).not.toContain('no-endpoint-nodeports { tcp . 30100');
  });
});

describe('internalTrafficPolicy Local dispatches through the local chain; a NodePort without endpoints makes no chain (item 6)', () => {
  const lab = labOf({
    name: 'itp',
    nodes: [{ name: 'node1' }, { name: 'node2' }],
    pods: [{ name: 'web', node: 'node1', labels: { app: 'web' }, containers: [{ name: 'c', listen: ['80/tcp'] }] }],
    services: [
      { name: 'local', selector: { app: 'web' }, internalTrafficPolicy: 'Local', ports: [{ port: 80 }] },
      { name: 'none', type: 'NodePort', selector: { app: 'nothing' }, ports: [{ port: 80, nodePort: 30300 }] },
    ],
  });

  it('nftables: service-ips goes to local-…, whose first rule masquerades off-cluster sources', () => {
    const node1 = nftOf(lab, 'node1');
    const local = /local-\w{8}-default\/local\/tcp\//.exec(node1)![0];
    expect(node1).toMatch(new RegExp(`add element ip kube-proxy service-ips \\{ 10\\.96\\.\\S+ \\. tcp \\. 80 : goto ${local.replace(/\//g, '\\/')} \\}`));
    expect(node1).not.toMatch(/service-\w{8}-default\/local\//);
    expect(lines(node1, new RegExp(`^add rule ip kube-proxy ${local.replace(/\//g, '\\/')} `))[0]).toMatch(
      /ip saddr != 10\.244\.0\.0\/16 jump mark-for-masquerade$/,
    );
  });

  it('iptables: KUBE-SERVICES jumps to KUBE-SVL-, and no KUBE-SVC- is made', () => {
    const node1 = iptOf(lab, 'node1');
    expect(node1).toMatch(/-A KUBE-SERVICES -m comment --comment "default\/local cluster IP" -m tcp -p tcp -d \S+ --dport 80 -j KUBE-SVL-\w{16}/);
    expect(node1).not.toMatch(/KUBE-SVC-\w{16}.*default\/local/);
  });

  it('a NodePort Service with no endpoints: refused, with no service-, external- or KUBE-EXT- chain', () => {
    const nft = nftOf(lab, 'node1');
    expect(nft).toContain('add element ip kube-proxy no-endpoint-nodeports { tcp . 30300 comment "default/none" : goto reject-chain }');
    expect(nft).not.toMatch(/(service|external)-\w{8}-default\/none\//);
    const ipt = iptOf(lab, 'node1');
    expect(ipt).toContain(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/none has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30300 -j REJECT',
    );
    expect(ipt).not.toMatch(/KUBE-(EXT|SVC)-\w{16}.*default\/none/);
  });
});

describe('what iptables mode always has (item 4)', () => {
  const lab = shippedLab('services-iptables');
  const node1 = iptOf(lab, 'node1');

  it('KUBE-FIREWALL first in INPUT and OUTPUT, keeping the network off 127.0.0.0/8 (kubeletFirewallChain)', () => {
    const input = lines(node1, /^-A INPUT /);
    expect(input[0]).toBe('-A INPUT -j KUBE-FIREWALL');
    expect(lines(node1, /^-A OUTPUT /)[0]).toBe('-A OUTPUT -j KUBE-FIREWALL');
    expect(node1).toContain(
      '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    );
  });

  it('the canary chain in filter and nat', () => {
    expect(node1.split('*nat')[0]).toContain(':KUBE-PROXY-CANARY - [0:0]');
    expect(node1.split('*nat')[1]).toContain(':KUBE-PROXY-CANARY - [0:0]');
  });

  it('route_localnet on each node, so 127.0.0.1:NODEPORT is DNATed to a pod (nftables mode does not support it)', () => {
    const sysctls = (name: string) =>
      planLab(shippedLab(name), { stateDir: `/run/netlab/${name}` })
        .stages.flatMap((s) => s.ops)
        .filter((op) => op.kind === 'sysctl.set' && op.key === 'net.ipv4.conf.all.route_localnet');
    expect(sysctls('services-iptables').map((op) => op.kind === 'sysctl.set' && `${op.netns} ${op.value}`)).toEqual([
      'netlab.services-iptables.node.node1 1',
      'netlab.services-iptables.node.node2 1',
    ]);
    expect(sysctls('services')).toEqual([]);
  });
});

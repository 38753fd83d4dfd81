import { renderNft } from '../../src/plan/nft-ruleset.js';
import { describe, expect, it } from 'vitest';
import { loadLabText } from '../../src/lab/index.js';
import type { Lab, Service, ServicePort } from '../../src/lab/types.js';
import { iptEndpointChain, iptServiceChain, nftChain, serviceChains } from '../../src/plan/kube-proxy/names.js';
import { iptablesRuleset } from '../../src/plan/kube-proxy/iptables.js';
import { renderIptables } from '../../src/plan/iptables-ruleset.js';
import { shippedLab } from '../helpers/labs.js';
import { nftablesRuleset } from '../../src/plan/kube-proxy/nftables.js';

const svc = (namespace: string, name: string, portName: string, protocol: 'tcp' | 'udp' = 'tcp'): [Service, ServicePort] => [
  { namespace, name } as Service,
  { name: portName, protocol, port: 80, nodePort: undefined, endpoints: [] },
];

describe("kube-proxy's chain names", () => {
  it('hash like upstream nftables mode (proxier_test.go values)', () => {
    expect(nftChain('service', 'ns1/svc1/tcp/p80')).toBe('service-ULMVA6XW-ns1/svc1/tcp/p80');
    expect(nftChain('endpoint', 'ns1/svc1/tcp/p80__10.180.0.1/80')).toBe('endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
    expect(nftChain('service', 'default/kubernetes/tcp/https')).toBe('service-2QRHZV4L-default/kubernetes/tcp/https');
    expect(nftChain('service', 'default/web/tcp/http')).toBe('service-SUSTUHLJ-default/web/tcp/http');
  });

  it('hash like upstream iptables mode (proxier_test.go values)', () => {
    expect(iptServiceChain('KUBE-SVC-', ...svc('default', 'kubernetes', 'https'))).toBe('KUBE-SVC-NPX46M4PTMTKRN6Y');
    expect(iptServiceChain('KUBE-SVC-', ...svc('kube-system', 'kube-dns', 'dns', 'udp'))).toBe('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(iptServiceChain('KUBE-SVC-', ...svc('ns1', 'svc1', 'p80'))).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(iptEndpointChain(...svc('ns1', 'svc1', 'p80'), '10.180.0.1', 80)).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });
});

/** The example of REFERENCE-2 §1: default/web "http" 80/TCP → two pods on :8080, NodePort 30080. */
function exampleLab(): Lab {
  const text = `name: example
network: { underlay: { cidr: 192.168.50.0/24 } }
nodes:
  - { name: node1, address: 192.168.50.11, podSubnet: 10.244.1.0/24 }
  - { name: node2, address: 192.168.50.12, podSubnet: 10.244.2.0/24 }
pods:
  - { name: a, node: node1, ip: 10.244.1.5, labels: { app: web }, containers: [{ name: c, ports: [{ name: http, containerPort: 8080 }] }] }
  - { name: b, node: node2, ip: 10.244.2.7, labels: { app: web }, containers: [{ name: c, ports: [{ name: http, containerPort: 8080 }] }] }
services:
  - { name: web, type: NodePort, clusterIP: 10.96.0.20, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http, nodePort: 30080 }] }
  - { name: none, clusterIP: 10.96.0.21, selector: { app: nothing }, ports: [{ port: 81 }] }
`;
  const r = loadLabText('example.yaml', text);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.lab;
}

describe("kube-proxy's nftables ruleset", () => {
  const lab = exampleLab();
  const ruleset = renderNft(nftablesRuleset(lab, lab.nodes[0]!));

  it("writes a service's chains and elements as upstream does (REFERENCE-2 §1, verified to load with nft 1.0.6)", () => {
    for (const line of [
      'add chain ip kube-proxy endpoint-HGNPOIJ5-default/web/tcp/http__10.244.1.5/8080',
      'add chain ip kube-proxy endpoint-BZGFZVVG-default/web/tcp/http__10.244.2.7/8080',
      'add chain ip kube-proxy service-SUSTUHLJ-default/web/tcp/http',
      'add rule ip kube-proxy service-SUSTUHLJ-default/web/tcp/http ip daddr 10.96.0.20 ip saddr != 10.244.0.0/16 jump mark-for-masquerade',
      'add rule ip kube-proxy service-SUSTUHLJ-default/web/tcp/http numgen random mod 2 vmap { 0 : goto endpoint-HGNPOIJ5-default/web/tcp/http__10.244.1.5/8080 , 1 : goto endpoint-BZGFZVVG-default/web/tcp/http__10.244.2.7/8080 }',
      'add chain ip kube-proxy external-SUSTUHLJ-default/web/tcp/http',
      'add rule ip kube-proxy external-SUSTUHLJ-default/web/tcp/http jump mark-for-masquerade',
      'add rule ip kube-proxy external-SUSTUHLJ-default/web/tcp/http goto service-SUSTUHLJ-default/web/tcp/http',
      'add rule ip kube-proxy endpoint-HGNPOIJ5-default/web/tcp/http__10.244.1.5/8080 ip saddr 10.244.1.5 jump mark-for-masquerade',
      'add rule ip kube-proxy endpoint-HGNPOIJ5-default/web/tcp/http__10.244.1.5/8080 meta l4proto tcp dnat to 10.244.1.5:8080',
      'add element ip kube-proxy cluster-ips { 10.96.0.20 }',
      'add element ip kube-proxy service-ips { 10.96.0.20 . tcp . 80 : goto service-SUSTUHLJ-default/web/tcp/http }',
      'add element ip kube-proxy service-nodeports { tcp . 30080 : goto external-SUSTUHLJ-default/web/tcp/http }',
      'add element ip kube-proxy nodeport-ips { 192.168.50.11 }',
    ]) {
      expect(ruleset.split('\n'), line).toContain(line);
    }
  });

  it('creates every endpoint chain before the rule that names it', () => {
    const lines = ruleset.split('\n');
    const vmap = lines.findIndex((l) => l.includes('numgen random'));
    expect(lines.findIndex((l) => l.startsWith('add chain ip kube-proxy endpoint-'))).toBeLessThan(vmap);
  });

  it('rejects a service with no endpoints, and never allocates it a chain', () => {
    expect(ruleset).toContain('add element ip kube-proxy no-endpoint-services { 10.96.0.21 . tcp . 81 comment "default/none" : goto reject-chain }');
    expect(ruleset).not.toMatch(/service-\w+-default\/none/);
  });

  it('drops unallocated ClusterIPs of the whole service CIDR and masquerades marked packets', () => {
    expect(ruleset).toContain('add rule ip kube-proxy cluster-ips-check ip daddr { 10.96.0.0/12 } drop comment "Drop traffic to unallocated ClusterIPs"');
    expect(ruleset).toContain('add rule ip kube-proxy masquerading masquerade fully-random');
  });
});

describe("kube-proxy's iptables mode, internalTrafficPolicy Local", () => {
  // pkg/proxy/iptables/proxier.go: with endpoints only on other nodes the ClusterIP is dropped
  // ("has no local endpoints" -j DROP: the client waits), with none anywhere rejected (refused at once).
  const text = `name: itp
network: { kubeProxy: { mode: iptables } }
nodes: [{ name: node1 }, { name: node2 }]
pods:
  - { name: web, node: node2, labels: { app: web }, containers: [{ name: c, listen: [80/tcp] }] }
services:
  - { name: local, clusterIP: 10.96.0.30, internalTrafficPolicy: Local, selector: { app: web }, ports: [{ port: 80 }] }
  - { name: none, clusterIP: 10.96.0.31, selector: { app: nothing }, ports: [{ port: 80 }] }
`;

  it('drops on a node without a local endpoint, and rejects a Service with none at all', async () => {
    const { iptablesRuleset } = await import('../../src/plan/kube-proxy/iptables.js');
    const { renderIptables } = await import('../../src/plan/iptables-ruleset.js');
    const r = loadLabText('itp.yaml', text);
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    const node1 = renderIptables(iptablesRuleset(r.lab, r.lab.nodes[0]!));
    expect(node1).toContain('-A KUBE-SERVICES -m comment --comment "default/local has no local endpoints" -m tcp -p tcp -d 10.96.0.30 --dport 80 -j DROP');
    expect(node1).toContain('-A KUBE-SERVICES -m comment --comment "default/none has no endpoints" -m tcp -p tcp -d 10.96.0.31 --dport 80 -j REJECT');
    const node2 = renderIptables(iptablesRuleset(r.lab, r.lab.nodes[1]!));
    expect(node2).not.toContain('default/local has no local endpoints');
  });
});

describe('the chains status names for a Service port', () => {
  it('are the chains the ruleset makes, in both modes', () => {
    for (const [file, mode] of [
      ['services', 'nftables'],
      ['services-iptables', 'iptables'],
    ] as const) {
      const lab = shippedLab(file);
      const text = mode === 'iptables' ? renderIptables(iptablesRuleset(lab, lab.nodes[0]!)) : renderNft(nftablesRuleset(lab, lab.nodes[0]!));
      const named = lab.services.flatMap((s) =>
        s.ports.filter((p) => p.endpoints.length > 0 && s.clusterIP !== undefined).flatMap((p) => serviceChains(mode, s, p)),
      );
      expect(named.length, file).toBeGreaterThan(2);
      for (const chain of named) expect(text, `${file}: ${chain}`).toContain(mode === 'iptables' ? `:${chain} ` : `add chain ip kube-proxy ${chain}\n`);
    }
  });
});

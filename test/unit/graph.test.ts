import { describe, expect, it } from 'vitest';
import { labToDot } from '../../src/graph/dot.js';
import { labToMermaid } from '../../src/graph/mermaid.js';
import { bigLab, labOf, shippedLab } from '../helpers/labs.js';

describe('graph', () => {
  it.each(['two-node', 'host-gw'])('of %s is pinned as DOT', async (name) => {
    await expect(labToDot(shippedLab(name))).toMatchFileSnapshot(`__snapshots__/${name}.dot`);
  });

  it('draws a lab of 256 nodes, 2,048 pods and 100 Services (DOT overflowed the call stack: exit 70)', () => {
    const lab = labOf({
      name: 'biggraph',
      network: { podCIDR: '10.240.0.0/12', underlay: { cidr: '192.168.16.0/22' } },
      nodes: Array.from({ length: 256 }, (_, i) => ({ name: `node${i}` })),
      pods: Array.from({ length: 256 }, (_, i) => ({
        name: `p${i}`,
        node: `node${i}`,
        replicas: 8,
        labels: { app: `a${i}` },
        containers: [{ name: 'c', listen: ['80/tcp'] }],
      })),
      services: Array.from({ length: 100 }, (_, i) => ({ name: `s${i}`, selector: { app: `a${i}` }, ports: [{ port: 80 }] })),
    });
    expect(lab.pods.filter((p) => p.system === undefined)).toHaveLength(2048);
    expect(() => labToDot(lab)).not.toThrow();
    expect(() => labToMermaid(lab)).not.toThrow();
  });

  it('draws a Service over 2,048 pods with 8 arrows and a count', () => {
    const raw = bigLab('wide', 4, 2048) as { network: Record<string, unknown>; pods: Array<Record<string, unknown>> };
    raw.network.podCIDR = '10.240.0.0/12';
    raw.network.nodeSubnetSize = 22;
    raw.pods[0]!.labels = { app: 'all' };
    const lab = labOf({ ...raw, services: Array.from({ length: 20 }, (_, i) => ({ name: `s${i}`, selector: { app: 'all' }, ports: [{ port: 80 }] })) });
    const dot = labToDot(lab);
    const mermaid = labToMermaid(lab);
    expect(dot.match(/-> pod_/g)).toHaveLength(160);
    expect(dot).toContain('… 2040 more endpoints');
    // 20 × (8 + a count), and cluster DNS's Service with its two pods.
    expect(mermaid.match(/ -\.-> /g)).toHaveLength(182);
    expect(dot.length + mermaid.length).toBeLessThan(1_000_000);
  });

  it('names every node and pod, with addresses and veths', () => {
    const lab = shippedLab('two-node');
    const dot = labToDot(lab);
    for (const n of lab.nodes) expect(dot).toContain(`eth0 ${n.address}`);
    for (const p of lab.pods) {
      expect(dot).toContain(`${p.name}\\n${p.ip}`);
      expect(dot).toContain(p.hostVeth);
    }
    expect(labToMermaid(lab)).toContain('node2_pod4["pod4<br/>10.244.1.3"]');
  });

  it('keeps big labs readable: a few pods per node and a count', () => {
    const dot = labToDot(labOf(bigLab('big', 10, 200)));
    expect(dot).toContain('… 12 more pods');
    expect(dot).not.toContain('VXLAN VNI'); // no tunnel mesh between ten nodes
  });
});

describe('graph of a lab with Services', () => {
  it('draws each service as rules with its ClusterIP and NodePort, linked to its endpoints, and the outside client', () => {
    const lab = shippedLab('services');
    const dot = labToDot(lab);
    expect(dot).toContain('service web (ClusterIP)\\n10.96.1.1\\n80/tcp');
    expect(dot).toContain('80/tcp · NodePort 30080');
    expect(dot).toContain('svc_web -> pod_web_0 [style=dashed');
    expect(dot).not.toContain('svc_web -> pod_idle');
    expect(dot).toContain('external client\\n192.168.19.254');
    expect(labToMermaid(lab)).toContain('svc_web -.-> node2_web_1');
  });

  it('draws LoadBalancer addresses with their pool, and the node MetalLB elects to answer ARP for each', () => {
    const dot = labToDot(shippedLab('loadbalancer-l2'));
    expect(dot).toContain('LoadBalancer 192.168.19.240 (pool first-pool)');
    expect(dot).toContain('external -> node3_eth0 [label="ARP 192.168.19.240? node3 answers\\n(first of node3, node2, node1 by sha256(node#ip))"');
    expect(dot).toContain('external -> node1_eth0 [label="ARP 192.168.19.241? node1 answers\\n(first of node1, node2 by sha256(node#ip))"');
  });

  it('draws each BGP path the router learned: three for web (Cluster), two for web-local (Local)', () => {
    const dot = labToDot(shippedLab('loadbalancer-bgp'));
    const paths = dot.split('\n').filter((l) => l.includes('[label="BGP '));
    expect(paths).toHaveLength(5);
    expect(dot).toContain('external -> node3_eth0 [label="BGP 172.16.100.1/32 via node3\\n(ECMP, 1 of 3)"');
    expect(dot).toContain('external -> node2_eth0 [label="BGP 172.16.100.2/32 via node2\\n(ECMP, 1 of 2)"');
  });

  it("draws the Ingress routes nginx serves: the controller's Service to each backend, labelled host and path", () => {
    const dot = labToDot(shippedLab('ingress'));
    expect(dot).toContain('svc_ingress_nginx_ingress_nginx_controller -> svc_foo_exact [label="exact-path-rules = /foo"');
    expect(dot).toContain('svc_ingress_nginx_ingress_nginx_controller -> svc_wildcard_foo_com [label="*.foo.com /"');
    // The Ingress of another class is not served: no route to its backend.
    expect(dot).not.toContain('-> svc_invalid_class [');
  });

  it("draws each Gateway's routes: its Service to the backend, labelled hostname, path, headers and weight", () => {
    const dot = labToDot(shippedLab('gateway'));
    expect(dot).toContain('svc_same_namespace_nginx -> svc_infra_backend_v1 [label="exact.example = /one"');
    // A picture, not a listing: past 24 routes a Gateway's edges end in a count.
    expect(dot).toMatch(/svc_same_namespace_nginx_routes \[label="… \d+ more routes"/);
    const small = labToDot(
      labOf({
        name: 'g',
        nodes: [{ name: 'node1' }],
        pods: ['a', 'b'].map((n) => ({ name: n, labels: { app: n }, containers: [{ name: 'e', listen: ['8080/tcp'] }] })),
        services: ['a', 'b'].map((n) => ({ name: n, selector: { app: n }, ports: [{ port: 8080 }] })),
        gatewayClasses: [{ name: 'nginx', controllerName: 'gateway.nginx.org/nginx-gateway-controller' }],
        gateways: [{ name: 'gw', gatewayClassName: 'nginx', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] }],
        httpRoutes: [
          {
            name: 'split',
            parentRefs: [{ name: 'gw' }],
            hostnames: ['w.example'],
            rules: [
              {
                backendRefs: [
                  { name: 'a', port: 8080, weight: 70 },
                  { name: 'b', port: 8080, weight: 0 },
                ],
              },
            ],
          },
          {
            name: 'hdr',
            parentRefs: [{ name: 'gw' }],
            hostnames: ['h.example'],
            rules: [{ matches: [{ headers: [{ name: 'version', value: 'two' }] }], backendRefs: [{ name: 'b', port: 8080 }] }],
          },
          {
            name: 'lost',
            parentRefs: [{ name: 'gw', sectionName: 'nope' }],
            hostnames: ['lost.example'],
            rules: [{ backendRefs: [{ name: 'a', port: 8080 }] }],
          },
        ],
      }),
    );
    expect(small).toContain('svc_gw_nginx -> svc_b [label="h.example / [version: two]"');
    expect(small).toContain('svc_gw_nginx -> svc_a [label="w.example /"');
    // weight 0 draws nothing; neither does a route no listener accepted.
    expect(small).not.toContain('w.example / (weight');
    expect(small).not.toContain('lost.example');
  });

  it('names pods of other namespaces with identifiers DOT accepts', () => {
    const dot = labToDot(shippedLab('service-policies'));
    expect(dot).not.toMatch(/pod_[^ []*\//);
  });
});

import { speakerAnswers } from '../../src/trace/index.js';
import { describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/types.js';
import { electionOrder, l2Announcements, l2Election } from '../../src/lab/l2-election.js';
import { labOf, problemsOf, shippedLab } from '../helpers/labs.js';

/*
 * MetalLB's controller as a lab file meets it (metallb/metallb
 * internal/allocator/allocator.go, internal/config/config.go,
 * controller/service.go): addresses in pool order, requested ones checked
 * against the pools, sharing keys, and the events it would raise refused
 * at the Service.
 */

const pods = [{ name: 'web', replicas: 2, labels: { app: 'web' }, containers: [{ name: 's', listen: ['80/tcp'] }] }];

function lbLab(services: object[], pools: object[] = [{ name: 'pool', addresses: ['192.168.19.240-192.168.19.242'] }], extra: object = {}) {
  return {
    name: 'lb',
    nodes: [{ name: 'node1' }, { name: 'node2' }],
    pods,
    services,
    metallb: { ipAddressPools: pools, l2Advertisements: [{ name: 'l2' }] },
    ...extra,
  };
}

/** The lab's LoadBalancer Services (a lab with Services also has kube-dns). */
const lbs = (lab: Lab) => lab.services.filter((s) => s.type === 'LoadBalancer');

const lb = (name: string, over: object = {}) => ({ name, type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }], ...over });

describe('allocation', () => {
  it("gives addresses in file order, ascending from the pool's first entry", () => {
    const lab = labOf(lbLab([lb('a'), lb('b'), lb('c')]));
    expect(lbs(lab).map((s) => s.loadBalancerIPs)).toEqual([['192.168.19.240'], ['192.168.19.241'], ['192.168.19.242']]);
    expect(lbs(lab).every((s) => s.addressPool === 'pool')).toBe(true);
  });

  it('honours an address asked for, by annotation or spec.loadBalancerIP, and skips it for the others', () => {
    const lab = labOf(
      lbLab([lb('a', { annotations: { 'metallb.io/loadBalancerIPs': '192.168.19.240' } }), lb('b'), lb('c', { loadBalancerIP: '192.168.19.242' })]),
    );
    expect(lbs(lab).map((s) => s.loadBalancerIPs[0])).toEqual(['192.168.19.240', '192.168.19.241', '192.168.19.242']);
  });

  it('takes from the pool the annotation names; skips autoAssign: false pools otherwise', () => {
    const pools = [
      { name: 'manual', addresses: ['192.168.19.230/31'], autoAssign: false },
      { name: 'auto', addresses: ['192.168.19.240/30'] },
    ];
    const lab = labOf(lbLab([lb('a'), lb('b', { annotations: { 'metallb.io/address-pool': 'manual' } })], pools));
    expect(lbs(lab).map((s) => [s.loadBalancerIPs[0], s.addressPool])).toEqual([
      ['192.168.19.240', 'auto'],
      ['192.168.19.230', 'manual'],
    ]);
  });

  it('avoidBuggyIPs skips .0 and .255', () => {
    const pools = [{ name: 'p', addresses: ['192.168.18.0/24'], avoidBuggyIPs: true }];
    const raw = { ...lbLab([lb('a')], pools), network: { underlay: { cidr: '192.168.16.0/22' } } };
    expect(lbs(labOf(raw))[0]!.loadBalancerIPs).toEqual(['192.168.18.1']);
  });

  it('shares an address between Services with one sharing key and no port in common', () => {
    const key = { 'metallb.io/allow-shared-ip': 'web' };
    const lab = labOf(
      lbLab([
        lb('http', { annotations: { ...key, 'metallb.io/loadBalancerIPs': '192.168.19.241' } }),
        lb('https', { annotations: { ...key, 'metallb.io/loadBalancerIPs': '192.168.19.241' }, ports: [{ port: 443 }] }),
      ]),
    );
    expect(lbs(lab).map((s) => s.loadBalancerIPs[0])).toEqual(['192.168.19.241', '192.168.19.241']);
  });

  it('LoadBalancer ports get NodePorts unless allocateLoadBalancerNodePorts is false; Local ones a health check port after them', () => {
    const lab = labOf(lbLab([lb('a', { externalTrafficPolicy: 'Local' }), lb('b', { allocateLoadBalancerNodePorts: false })]));
    expect(lab.services[0]!.ports[0]!.nodePort).toBe(30000);
    expect(lab.services[0]!.healthCheckNodePort).toBe(30001);
    expect(lab.services[1]!.ports[0]!.nodePort).toBeUndefined();
    expect(lab.services[1]!.healthCheckNodePort).toBeUndefined();
  });
});

describe("the controller's events, refused at the Service", () => {
  it('an address outside every pool', () => {
    expect(problemsOf(lbLab([lb('a', { loadBalancerIP: '192.168.19.250' })]))).toEqual([
      'test.yaml:21:21: services[0].loadBalancerIP: "192.168.19.250" is not allowed in config (no IPAddressPool of metallb holds it)',
    ]);
  });

  it('a pool exhausted', () => {
    expect(problemsOf(lbLab([lb('a'), lb('b'), lb('c'), lb('d')]))).toEqual([
      'test.yaml:33:5: services[3]: no available IPs (every autoAssign pool is full: widen one, or share an address)',
    ]);
  });

  it('a shared address without the sharing key, and a port in common with it', () => {
    const at = { 'metallb.io/loadBalancerIPs': '192.168.19.240' };
    const problems = problemsOf(
      lbLab([
        lb('a', { annotations: { ...at, 'metallb.io/allow-shared-ip': 'k' } }),
        lb('b', { annotations: at }),
        lb('c', { annotations: { ...at, 'metallb.io/allow-shared-ip': 'k' } }),
      ]),
    );
    expect(problems).toEqual([
      expect.stringContaining(
        'services[1].annotations["metallb.io/loadBalancerIPs"]: can\'t change sharing key for "default/b", address also in use by default/a',
      ),
      expect.stringContaining('services[2].annotations["metallb.io/loadBalancerIPs"]: port TCP/80 is already in use on "192.168.19.240"'),
    ]);
  });

  it('overlapping pools, as internal/config says it', () => {
    const pools = [
      { name: 'one', addresses: ['192.168.19.240/29'] },
      { name: 'two', addresses: ['192.168.19.244-192.168.19.250'] },
    ];
    expect(problemsOf(lbLab([lb('a')], pools))).toEqual([
      expect.stringContaining(
        'metallb.ipAddressPools[1].addresses[0]: CIDR "192.168.19.244-192.168.19.250" in pool "two" overlaps with already defined CIDR "192.168.19.240/29" (pool "one")',
      ),
    ]);
  });

  it('both the annotation and spec.loadBalancerIP', () => {
    expect(problemsOf(lbLab([lb('a', { loadBalancerIP: '192.168.19.240', annotations: { 'metallb.io/loadBalancerIPs': '192.168.19.240' } })]))).toEqual([
      expect.stringContaining('services[0].loadBalancerIP: service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP'),
    ]);
  });
});

describe('hostile and impossible pools, refused before any walk', () => {
  it('a pool entry too large to walk, a public one, one that is not a network', () => {
    const pools = [{ name: 'p', addresses: ['10.0.0.0/8', '8.8.8.0/24', '192.168.19.241/28', '192.168.19.250-192.168.19.240'] }];
    const problems = problemsOf(lbLab([lb('a')], pools));
    expect(problems.join('\n')).toMatch(/addresses\[0\]: 10\.0\.0\.0\/8 holds 16777216 addresses; a lab's pool entry holds at most 65536/);
    expect(problems.join('\n')).toMatch(/addresses\[1\]: 8\.8\.8\.0\/24 is not a private network/);
    expect(problems.join('\n')).toMatch(/addresses\[2\]: 192\.168\.19\.241\/28 is not a network address: 192\.168\.19\.240\/28 is/);
    expect(problems.join('\n')).toMatch(/addresses\[3\]: 192\.168\.19\.250-192\.168\.19\.240 ends before it starts/);
  });

  it('an entry with anything but digits, dots, a slash or a dash is refused by the schema', () => {
    const pools = [{ name: 'p', addresses: ['1.2.3.4/33;rm'] }];
    expect(problemsOf(lbLab([lb('a')], pools))).toEqual([
      'test.yaml:25:11: metallb.ipAddressPools[0].addresses[0]: "1.2.3.4/33;rm" is not valid (must match pattern "^[0-9./-]+$")',
    ]);
  });

  it("a pool on a node's address, the outside client's, or the pod network", () => {
    const pools = [{ name: 'p', addresses: ['192.168.19.0/27', '192.168.19.254/32', '10.244.0.0/24'] }];
    const problems = problemsOf(lbLab([lb('a')], pools, { tests: [{ name: 't', ping: { from: 'external', to: 'node1' } }] }));
    expect(problems.join('\n')).toMatch(/addresses\[0\]: 192\.168\.19\.0\/27 overlaps node node1's address 192\.168\.19\.\d+/);
    expect(problems.join('\n')).toMatch(/addresses\[1\]: 192\.168\.19\.254\/32 overlaps the outside client's address 192\.168\.19\.254/);
    expect(problems.join('\n')).toMatch(/addresses\[2\]: 10\.244\.0\.0\/24 overlaps the pod network/);
  });

  it('an L2 pool off the node network', () => {
    const pools = [{ name: 'p', addresses: ['172.31.0.0/28'] }];
    expect(problemsOf(lbLab([lb('a')], pools)).join('\n')).toMatch(/is announced by ARP .* but is not on the node network 192\.168\.19\.0\/24/);
  });

  it('an annotation MetalLB does not read', () => {
    expect(problemsOf(lbLab([lb('a', { annotations: { 'evil.io/x': '$(reboot)' } })]))).toEqual([
      expect.stringContaining('services[0].annotations["evil.io/x"]: unknown key "evil.io/x" (allowed here: metallb.io/loadBalancerIPs'),
    ]);
  });

  it('LoadBalancer-only fields on another type', () => {
    const problems = problemsOf(lbLab([{ name: 'c', selector: { app: 'web' }, ports: [{ port: 80 }], loadBalancerSourceRanges: ['10.0.0.0/8'] }]));
    expect(problems).toEqual([expect.stringContaining("services[0].loadBalancerSourceRanges: may only be used when type is 'LoadBalancer'")]);
  });
});

describe("the L2 election, as MetalLB's speaker makes it", () => {
  const a = (ip: string, endpointNodes: string[], local = false) => ({
    ip,
    service: 'default/web',
    pool: 'p',
    nodes: ['iris1', 'iris2'],
    endpointNodes,
    local,
  });
  const both = new Set(['iris1', 'iris2']);

  // metallb/metallb speaker/layer2_controller_test.go TestShouldAnnounce: "Two services each with two endpoints across two
  // hosts, controller 1 should announce the second, controller 2 the first".
  it('sha256(node + "#" + ip) ascending: iris2 for 10.20.30.1, iris1 for 10.20.30.2', () => {
    expect(l2Election(a('10.20.30.1', ['iris1', 'iris2']), both).owner).toBe('iris2');
    expect(l2Election(a('10.20.30.2', ['iris1', 'iris2']), both).owner).toBe('iris1');
    expect(electionOrder(['iris1', 'iris2'], '10.20.30.1')).toEqual(['iris2', 'iris1']);
  });

  it('under Local only nodes with an endpoint ("one service, two endpoints, one host, controller 1 should announce")', () => {
    expect(l2Election(a('10.20.30.1', ['iris1'], true), both).owner).toBe('iris1');
  });

  it('no ready endpoint: nobody announces; a dead speaker is no candidate', () => {
    expect(l2Election(a('10.20.30.1', []), both).owner).toBeUndefined();
    expect(l2Election(a('10.20.30.1', ['iris1', 'iris2']), new Set(['iris1'])).owner).toBe('iris1');
  });

  it("the shipped lab's addresses, as the lab file's announcer tests say", () => {
    const lab = shippedLab('loadbalancer-l2');
    const all = new Set(lab.nodes.map((n) => n.name));
    expect(Object.fromEntries(l2Announcements(lab).map((x) => [x.ip, l2Election(x, all).candidates]))).toEqual({
      '192.168.19.240': ['node3', 'node2', 'node1'],
      '192.168.19.241': ['node1', 'node2'],
      '192.168.19.242': ['node2', 'node3', 'node1'],
    });
  });
});

describe('trace: who answers ARP for a LoadBalancer IP', () => {
  it('the elected node’s eth0 MAC, with the election said', () => {
    const lab = shippedLab('loadbalancer-l2');
    const answers = speakerAnswers(lab);
    const node3 = lab.nodes.find((n) => n.name === 'node3')!;
    expect(answers.get('192.168.19.240')).toEqual({
      mac: node3.mac,
      why: "no interface holds 192.168.19.240: MetalLB's speaker on node3 answers ARP for it (web), first of node3, node2, node1 by sha256(node#ip)",
    });
    expect(answers.get('192.168.19.241')!.why).toContain('first of node1, node2, the nodes with an endpoint of it (externalTrafficPolicy Local)');
  });
});

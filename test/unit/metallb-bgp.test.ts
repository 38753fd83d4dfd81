import { describe, expect, it } from 'vitest';
import { bgpAnnouncements, routerRoutes } from '../../src/lab/bgp-announcements.js';
import { aggregate, summarize } from '../../src/lab/metallb-bgp.js';
import { externalEndpoints } from '../../src/lab/endpoints.js';
import { planLab } from '../../src/plan/index.js';
import { loadBalancerConformance } from '../../src/checks/conformance-loadbalancer.js';
import { labOf, problemsOf, shippedLab } from '../helpers/labs.js';

/*
 * MetalLB's BGP mode as a lab file meets it: BGPPeer and BGPAdvertisement
 * checked as internal/config and the webhooks check them (messages from
 * their tests), who announces what (speaker/bgp_controller.go), and the
 * BIRD configurations that say it.
 */

const pods = [{ name: 'web', replicas: 2, labels: { app: 'web' }, containers: [{ name: 's', listen: ['80/tcp'] }] }];
const lb = (name: string, over: object = {}) => ({ name, type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }], ...over });
const peer = (over: object = {}) => ({ name: 'router', myASN: 64500, peerASN: 64501, peerAddress: 'external', ...over });

function bgpLab(metallb: object, services: object[] = [lb('web'), lb('web-local', { externalTrafficPolicy: 'Local' })], extra: object = {}) {
  return {
    name: 'bgp',
    nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }],
    pods,
    services,
    metallb: { ipAddressPools: [{ name: 'routed', addresses: ['172.16.100.0/28'] }], bgpPeers: [peer()], bgpAdvertisements: [{ name: 'ad' }], ...metallb },
    ...extra,
  };
}

describe('who announces', () => {
  it('under Cluster every node, under Local only the nodes with an endpoint: three next hops and two', () => {
    const lab = labOf(bgpLab({}));
    expect(Object.fromEntries(routerRoutes(lab))).toEqual({ '172.16.100.0/32': ['node1', 'node2', 'node3'], '172.16.100.1/32': ['node1', 'node2'] });
    expect(lab.pods.filter((p) => p.template === 'web').map((p) => p.node)).toEqual(['node1', 'node2']);
  });

  it('nothing for a Service without a ready endpoint, even under Cluster', () => {
    const lab = labOf(bgpLab({}, [lb('web', { selector: { app: 'nobody' } })]));
    expect([...bgpAnnouncements(lab).values()].flatMap((s) => s.flatMap((x) => x.routes))).toEqual([]);
  });

  it('aggregationLength masks the address; nodeSelectors and peers narrow who says it to whom', () => {
    const lab = labOf(
      bgpLab({
        bgpPeers: [peer({ nodeSelectors: ['node1', 'node2'] }), peer({ name: 'other', nodeSelectors: ['node3'] })],
        bgpAdvertisements: [{ name: 'agg', aggregationLength: 28, nodeSelectors: ['node1', 'node3'], peers: ['router'] }],
      }),
    );
    const said = bgpAnnouncements(lab);
    expect(said.get('node1')![0]!.routes.map((r) => r.prefix)).toEqual(['172.16.100.0/28']);
    expect(said.get('node2')![0]!.routes).toEqual([]);
    expect(said.get('node3')![0]!.routes).toEqual([]);
  });

  it('communities sorted by value as MetalLB sorts them, duplicates once', () => {
    const lab = labOf(bgpLab({ bgpAdvertisements: [{ name: 'ad', communities: ['65000:2', '100:300', '65000:2', '7:1'] }] }));
    expect(bgpAnnouncements(lab).get('node1')![0]!.routes[0]!.communities).toEqual(['7:1', '100:300', '65000:2']);
  });

  it('an outside client reaches, under Local, the endpoints of every node the router sends to', () => {
    const lab = labOf(bgpLab({}));
    const svc = lab.services.find((s) => s.name === 'web-local')!;
    const ends = externalEndpoints(lab, svc, svc.ports[0]!, svc.loadBalancerIPs[0]!);
    expect(ends.map((e) => e.pod).sort()).toEqual(['web-0', 'web-1']);
  });
});

describe('the BIRD that says it', () => {
  const ops = (raw: object) =>
    planLab(labOf(raw), { stateDir: '/run/netlab/bgp' })
      .stages.flatMap((s) => s.ops)
      .filter((o) => o.kind === 'file.write' && o.path.includes('/bgp/'))
      .map((o) => (o.kind === 'file.write' ? [o.path, o.content] : []));

  it("a speaker per node: blackholes in BIRD's table only, the advertisement's attributes per prefix; LOCAL_PREF only on iBGP", () => {
    const ebgp = Object.fromEntries(ops(bgpLab({ bgpAdvertisements: [{ name: 'ad', localPref: 200, communities: ['64500:100'] }] })));
    const node1 = ebgp['/run/netlab/bgp/bgp/node1.conf']!;
    expect(node1).toContain('  route 172.16.100.0/32 blackhole;');
    expect(node1).not.toMatch(/protocol kernel/);
    expect(node1).toContain('if net = 172.16.100.0/32 then { bgp_community.add((64500,100)); accept; }');
    expect(node1).toContain('neighbor 192.168.19.254 as 64501;');
    const ibgp = Object.fromEntries(ops(bgpLab({ bgpPeers: [peer({ peerASN: 64500 })], bgpAdvertisements: [{ name: 'ad', localPref: 200 }] })));
    expect(ibgp['/run/netlab/bgp/bgp/node1.conf']).toContain('if net = 172.16.100.0/32 then { bgp_local_pref = 200; accept; }');
  });

  it('the router: a session per node, equal paths merged into one ECMP route, hashed on the five-tuple', () => {
    const plan = planLab(labOf(bgpLab({})), { stateDir: '/run/netlab/bgp' });
    const all = plan.stages.flatMap((s) => s.ops);
    const conf = all.find((o) => o.kind === 'file.write' && o.path.endsWith('/bgp/external.conf'));
    expect(conf?.kind === 'file.write' && conf.content).toContain('merge paths on;');
    expect(all).toContainEqual(expect.objectContaining({ kind: 'sysctl.set', key: 'net.ipv4.fib_multipath_hash_policy', value: '1' }));
    const wait = all.find((o) => o.kind === 'bgp.establish' && o.node === 'external');
    expect(wait).toMatchObject({
      sessions: [{ name: 'node_node1' }, { name: 'node_node2' }, { name: 'node_node3' }],
      nexthops: { '172.16.100.0/32': ['192.168.19.1', '192.168.19.2', '192.168.19.3'], '172.16.100.1/32': ['192.168.19.1', '192.168.19.2'] },
    });
  });

  it('the shipped lab holds what the issue asks: three next hops under Cluster, two under Local', () => {
    const lab = shippedLab('loadbalancer-bgp');
    expect([...routerRoutes(lab).values()].map((v) => v.length)).toEqual([3, 2]);
  });
});

describe('validation, as MetalLB refuses it', () => {
  it('an aggregation length shorter than a pool prefix (webhook test: 26 against a /28)', () => {
    expect(problemsOf(bgpLab({ bgpAdvertisements: [{ name: 'ad', aggregationLength: 26 }] }))).toEqual([
      expect.stringMatching(
        /metallb\.bgpAdvertisements\[0\]\.aggregationLength: invalid aggregation length 26: prefix 28 in this pool is more specific than the aggregation length for addresses 172\.16\.100\.0\/28/,
      ),
    ]);
  });

  it('a range is summarised into CIDRs first: its widest one counts', () => {
    expect(summarize(BigInt(0xac106401), BigInt(0xac10640e)).map((c) => `${c.address}/${c.prefix}`)).toEqual([
      '172.16.100.1/32',
      '172.16.100.2/31',
      '172.16.100.4/30',
      '172.16.100.8/30',
      '172.16.100.12/31',
      '172.16.100.14/32',
    ]);
    expect(aggregate('172.16.100.13', 30)).toBe('172.16.100.12/30');
    expect(
      problemsOf(
        bgpLab({ ipAddressPools: [{ name: 'routed', addresses: ['172.16.100.1-172.16.100.14'] }], bgpAdvertisements: [{ name: 'ad', aggregationLength: 29 }] }),
      ),
    ).toEqual([expect.stringContaining('invalid aggregation length 29: prefix 30 in this pool')]);
  });

  it('two LOCAL_PREFs for the same update', () => {
    const problems = problemsOf(
      bgpLab({
        bgpAdvertisements: [
          { name: 'a', localPref: 100 },
          { name: 'b', localPref: 200 },
        ],
      }),
    );
    expect(problems).toEqual([expect.stringContaining('bgpAdvertisements[1].localPref: invalid local preference 200: local preference 100 was already set')]);
    expect(
      problemsOf(
        bgpLab({
          bgpAdvertisements: [
            { name: 'a', localPref: 100, nodeSelectors: ['node1'] },
            { name: 'b', localPref: 200, nodeSelectors: ['node2'] },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('timers: hold 0 or at least 3 s, keepalive below it (parseTimers)', () => {
    expect(problemsOf(bgpLab({ bgpPeers: [peer({ holdTime: '2s' })] }))).toEqual([
      expect.stringContaining('bgpPeers[0].holdTime: invalid hold time "2s": must be 0 or >=3s'),
    ]);
    expect(problemsOf(bgpLab({ bgpPeers: [peer({ holdTime: '9s', keepaliveTime: '10s' })] }))).toEqual([
      expect.stringContaining('bgpPeers[0].keepaliveTime: invalid keepaliveTime "10s", must be lower than holdTime "9s"'),
    ]);
    expect(problemsOf(bgpLab({ bgpPeers: [peer({ holdTime: '1m30s' })] }))).toEqual([]);
  });

  it('names that do not exist, twice-defined objects, and a community out of range', () => {
    const problems = problemsOf(
      bgpLab({
        bgpPeers: [peer({ nodeSelectors: ['node9'] }), peer({ nodeSelectors: ['node1'] })],
        bgpAdvertisements: [{ name: 'ad', ipAddressPools: ['nope'], peers: ['ghost'], communities: ['70000:1'] }],
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('bgpPeers[0].nodeSelectors[0]: no node is named "node9"'),
        expect.stringContaining('bgpPeers[1].name: BGPPeer "router" is already defined at metallb.bgpPeers[0]'),
        expect.stringContaining('bgpAdvertisements[0].ipAddressPools[0]: no IPAddressPool is named "nope"'),
        expect.stringContaining('bgpAdvertisements[0].peers[0]: no BGPPeer is named "ghost"'),
        expect.stringContaining('bgpAdvertisements[0].communities[0]: invalid community "70000:1"'),
      ]),
    );
  });

  it('a node selected by two peers would open two sessions to the one router', () => {
    expect(problemsOf(bgpLab({ bgpPeers: [peer(), peer({ name: 'again' })] }))).toEqual([
      expect.stringContaining('bgpPeers[1].nodeSelectors: node node1 would open a second session to the router: BGPPeer "router" selects it too'),
    ]);
  });

  it('the router is the outside client: another address is nobody, and Calico already speaks BGP on the nodes', () => {
    expect(problemsOf(bgpLab({ bgpPeers: [peer({ peerAddress: '192.168.19.100' })] }))).toEqual([
      expect.stringContaining("bgpPeers[0].peerAddress: no router answers at 192.168.19.100: the lab's router is the outside client, 192.168.19.254"),
    ]);
    expect(problemsOf(bgpLab({ bgpPeers: [peer({ peerAddress: '192.168.19.254' })] }))).toEqual([]);
    expect(problemsOf(bgpLab({}, undefined, { network: { backend: 'calico' } }))).toEqual([
      expect.stringContaining("metallb.bgpPeers[0]: MetalLB's BGP speakers and Calico's BIRD would both speak BGP from every node"),
    ]);
  });

  it('hostile values stop at the schema: a BIRD keyword cannot be smuggled through a name, address, duration or community', () => {
    for (const bad of [
      peer({ name: 'a"; protocol kernel {' }),
      peer({ peerAddress: '1.2.3.4; import all' }),
      peer({ holdTime: '3s;\nprotocol' }),
      peer({ myASN: 0 }),
      peer({ myASN: 4294967295 }),
      peer({ password: 'x' }),
    ])
      expect(problemsOf(bgpLab({ bgpPeers: [bad] })).length).toBeGreaterThan(0);
    expect(problemsOf(bgpLab({ bgpAdvertisements: [{ name: 'ad', communities: ['1:2)); import all; ((1:2'] }] })).length).toBeGreaterThan(0);
    expect(problemsOf(bgpLab({ bgpAdvertisements: [{ name: 'ad', aggregationLength: 33 }] })).length).toBeGreaterThan(0);
  });

  it('"external" cannot name a node: it is the outside client and the router', () => {
    expect(problemsOf({ name: 'x', nodes: [{ name: 'external' }] })).toEqual([expect.stringContaining('nodes[0].name: "external" cannot name a node')]);
  });
});

describe("kube-proxy's LoadBalancer conformance cases (REFERENCE-3 §1.7)", () => {
  const cases = (lab: string) =>
    loadBalancerConformance(shippedLab(lab)).map((c) => ({ name: c.name, expect: c.expect, every: c.everyOf, sourceIP: c.sourceIP }));

  it('L2: the outside client reaches every endpoint under Cluster, masqueraded; under Local the elected node’s own, kept; outside the ranges, dropped', () => {
    expect(cases('loadbalancer-l2')).toEqual(
      expect.arrayContaining([
        {
          name: 'conformance: external → 192.168.19.240:80/tcp (service/web loadbalancer IP)',
          expect: 'reachable',
          every: ['web-0', 'web-1'],
          sourceIP: 'masqueraded',
        },
        {
          name: 'conformance: external → 192.168.19.241:80/tcp (service/web-local loadbalancer IP, Local)',
          expect: 'reachable',
          every: ['web-0'],
          sourceIP: 'preserved',
        },
        {
          name: 'conformance: external → 192.168.19.242:80/tcp (service/web-office loadbalancer IP): outside loadBalancerSourceRanges, dropped',
          expect: 'blocked',
          every: undefined,
          sourceIP: undefined,
        },
      ]),
    );
  });

  it('BGP: under Local every node the router sends to brings its own endpoints, so the outside client reaches both', () => {
    expect(cases('loadbalancer-bgp')).toEqual(
      expect.arrayContaining([
        {
          name: 'conformance: external → 172.16.100.2:80/tcp (service/web-local loadbalancer IP, Local)',
          expect: 'reachable',
          every: ['web-0', 'web-1'],
          sourceIP: 'preserved',
        },
      ]),
    );
  });

  it('a LoadBalancer Service without endpoints is rejected from a pod, and not announced to the outside', () => {
    const lab = labOf(bgpLab({}, [lb('web'), lb('empty', { selector: { app: 'nobody' } })]));
    const empty = loadBalancerConformance(lab).filter((c) => c.name.includes('service/empty'));
    expect(empty.map((c) => [c.name, c.expect])).toEqual([
      ['conformance: pod web-0 → 172.16.100.1:80/tcp (service/empty loadbalancer IP): no endpoints, rejected', 'unreachable'],
    ]);
  });
});

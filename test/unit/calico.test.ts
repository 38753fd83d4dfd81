import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeSession, isEstablished, parseBirdProtocols } from '../../src/kernel/bird.js';
import { calicoVethName } from '../../src/lab/names.js';
import { podRangesOf } from '../../src/lab/node-pods.js';
import type { CalicoBackend, Lab } from '../../src/lab/types.js';
import { bgpSessions, birdConf, expectedRoutes } from '../../src/plan/bird.js';
import { findDrift } from '../../src/plan/drift.js';
import { planLab } from '../../src/plan/index.js';
import type { LiveLab, LiveRoute } from '../../src/plan/live.js';
import type { Op } from '../../src/plan/ops.js';
import { planToShell } from '../../src/plan/shell.js';
import { withBgpExplanation } from '../../src/trace/bgp.js';
import type { Observer, Trace } from '../../src/trace/types.js';
import { labOf, problemsOf, shippedLab } from '../helpers/labs.js';

const planOps = (lab: Lab) => planLab(lab, { stateDir: `/run/netlab/${lab.name}` }).stages.flatMap((s) => s.ops);
const calico = (lab: Lab) => lab.network.backend as CalicoBackend;

describe('calico lab resolution', () => {
  it('gives each node blocks of podCIDR as its pods need them, and each pod a /32 from its node’s block, in order', () => {
    const lab = labOf({
      name: 'blocks',
      network: { backend: 'calico', calico: { blockSize: 30 } },
      nodes: [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }],
      pods: [{ name: 'p', replicas: 10 }],
    });
    // Round-robin: n1 gets p-0, p-3, p-6, p-9: its first /30 holds four.
    expect(lab.nodes.map(podRangesOf)).toEqual([['10.244.0.0/30'], ['10.244.0.4/30'], ['10.244.0.8/30']]);
    expect(lab.pods.filter((p) => p.node === 'n1').map((p) => p.ip)).toEqual(['10.244.0.0', '10.244.0.1', '10.244.0.2', '10.244.0.3']);
    for (const pod of lab.pods) expect(pod).toMatchObject({ prefix: 32, gateway: '169.254.1.1', hostVethMac: 'ee:ee:ee:ee:ee:ee' });
  });

  it('has a node take another block when its first is full, and none at all without pods', () => {
    const lab = labOf({
      name: 'grow',
      network: { backend: 'calico', calico: { blockSize: 30 } },
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      pods: [{ name: 'p', replicas: 6, node: 'n1' }],
    });
    expect(lab.nodes.map(podRangesOf)).toEqual([['10.244.0.0/30', '10.244.0.4/30'], []]);
    expect(lab.pods.map((p) => p.ip)).toEqual(['10.244.0.0', '10.244.0.1', '10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5']);
  });

  it('takes the VXLAN tunnel address first, as calico-node does before any pod', () => {
    const lab = labOf({
      name: 'vx',
      network: { backend: 'calico', calico: { encapsulation: 'vxlan' } },
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      pods: [{ name: 'a', node: 'n2' }],
    });
    const e = calico(lab).encapsulation;
    expect(e).toMatchObject({ kind: 'vxlan', device: 'vxlan.calico', vni: 4096, port: 4789, mtu: 1450 });
    expect(e.kind === 'vxlan' && e.vteps.map((v) => v.address)).toEqual(['10.244.0.0', '10.244.0.64']);
    expect(lab.pods[0]!.ip).toBe('10.244.0.65');
    expect(lab.network.podMTU).toBe(1450);
  });

  it('names host veths as libcalico-go does: cali + 11 hex of sha1("NAMESPACE.POD")', () => {
    const sha1 = createHash('sha1').update('default.pod1').digest('hex');
    expect(calicoVethName('default', 'pod1')).toBe(`cali${sha1.slice(0, 11)}`);
    expect(calicoVethName('default', 'pod1')).toHaveLength(15);
    const lab = shippedLab('calico');
    expect(lab.pods.find((p) => p.name === 'pod1')!.hostVeth).toBe(calicoVethName('default', 'pod1'));
  });

  it('refuses what Calico decides for itself, with positions', () => {
    expect(
      problemsOf({ name: 'x', network: { backend: 'calico' }, nodes: [{ name: 'n1', podSubnet: '10.244.0.0/24' }], pods: [{ name: 'p', ip: '10.244.0.9' }] }),
    ).toEqual([
      "test.yaml:6:16: nodes[0].podSubnet: is flannel's: a Calico node takes blocks of podCIDR as its pods need them (remove it)",
      "test.yaml:9:9: pods[0].ip: Calico IPAM picks the pods' addresses from their node's blocks (remove it)",
    ]);
  });
});

describe('calico plan', () => {
  const lab = shippedLab('calico');
  const all = planOps(lab);
  const node1 = 'netlab.calico.node.node1';
  const veth = calicoVethName('default', 'pod1');

  it('is pinned as a shell script', async () => {
    await expect(
      planToShell(planLab(lab, { stateDir: '/run/netlab/calico' }), {
        agentPath: '/usr/lib/netlab/runtime/netlab-agent.py',
        speakerPath: '/usr/lib/netlab/runtime/netlab-speaker.py',
        python: 'python3',
      }),
    ).toMatchFileSnapshot('__snapshots__/calico.sh');
  });

  it('makes no bridge; wires each pod with a /32, the link-local gateway, and felix’s route, ARP entry and sysctls on the node', () => {
    expect(all.some((op) => op.kind === 'link.add.bridge' && op.netns !== 'netlab.calico.fabric')).toBe(false);
    const pod1 = 'netlab.calico.pod.pod1';
    expect(all).toContainEqual({ kind: 'addr.add', netns: pod1, dev: 'eth0', address: '10.244.0.0/32' });
    expect(all).toContainEqual({ kind: 'route.add', netns: pod1, verb: 'add', dst: '169.254.1.1/32', dev: 'eth0' });
    expect(all).toContainEqual({ kind: 'route.add', netns: pod1, verb: 'add', dst: 'default', via: '169.254.1.1', dev: 'eth0' });
    expect(all).toContainEqual({ kind: 'route.add', netns: node1, verb: 'replace', dst: '10.244.0.0/32', dev: veth });
    expect(all).toContainEqual(expect.objectContaining({ kind: 'neigh.replace', netns: node1, address: '10.244.0.0', dev: veth }));
    expect(all).toContainEqual(expect.objectContaining({ kind: 'link.add.veth', netns: node1, name: veth, mac: 'ee:ee:ee:ee:ee:ee' }));
    for (const key of ['proxy_arp', 'forwarding', 'route_localnet'])
      expect(all).toContainEqual({ kind: 'sysctl.set', netns: node1, key: `net.ipv4.conf.${veth}.${key}`, value: '1' });
    expect(all).toContainEqual({ kind: 'sysctl.set', netns: node1, key: `net.ipv4.neigh.${veth}.proxy_delay`, value: '0' });
    // Proxy ARP answers only for a routed address: the lab's nodes have no default route to cover 169.254.1.1.
    expect(all).toContainEqual({ kind: 'route.add', netns: node1, verb: 'add', dst: '169.254.1.1/32', dev: 'eth0' });
  });

  it('starts one BIRD per node after every address is set, and waits for its sessions and routes in a stage after all have started', () => {
    const stages = planLab(lab, { stateDir: '/run/netlab/calico' }).stages.map((s) => s.name);
    expect(stages.indexOf('routing')).toBeGreaterThan(stages.indexOf('addresses'));
    expect(stages.indexOf('converge')).toBe(stages.indexOf('routing') + 1);
    const birds = all.filter((op): op is Extract<Op, { kind: 'daemon.start' }> => op.kind === 'daemon.start');
    expect(birds.map((b) => b.argv)).toContainEqual([
      'bird',
      '-c',
      '/run/netlab/calico/bgp/node1.conf',
      '-s',
      '/run/netlab/calico/bgp/node1.ctl',
      '-P',
      '/run/netlab/calico/bgp/node1.pid',
    ]);
    expect(all).toContainEqual(
      expect.objectContaining({ kind: 'bgp.establish', node: 'node1', routes: ['10.244.0.0/26', '10.244.0.64/26', '10.244.0.128/26'] }),
    );
  });

  it('programs felix’s VXLAN for encapsulation vxlan: neighbour, FDB and an onlink route per remote block', () => {
    const vx = shippedLab('calico-vxlan');
    const ops = planOps(vx).filter((op) => 'netns' in op && op.netns === 'netlab.calico-vxlan.node.node1');
    expect(ops).toContainEqual(expect.objectContaining({ kind: 'link.add.vxlan', name: 'vxlan.calico', vni: 4096, port: 4789, local: '192.168.19.1' }));
    expect(ops).toContainEqual({
      kind: 'route.add',
      netns: 'netlab.calico-vxlan.node.node1',
      verb: 'replace',
      dst: '10.244.0.64/26',
      via: '10.244.0.64',
      dev: 'vxlan.calico',
      onlink: true,
    });
    // felix, not BIRD, drops what is not a pod of the node's own block: `blackhole 10.244.0.0/26 proto 80`
    // (felix/dataplane/linux/route_mgr.go blackholeRoutes; dataplanedefs.DefaultRouteProto = 80).
    expect(ops).toContainEqual({ kind: 'route.blackhole', netns: 'netlab.calico-vxlan.node.node1', dst: '10.244.0.0/26', protocol: 80 });
    const script = planToShell(planLab(vx, { stateDir: '/run/netlab/calico-vxlan' }), { agentPath: 'a', speakerPath: 's', python: 'python3' });
    expect(script).toContain('ip -n netlab.calico-vxlan.node.node1 route replace blackhole 10.244.0.0/26 proto 80');
    // BIRD installs no route of a VXLAN pool: confd's calico_kernel_programming rejects them all.
    expect(expectedRoutes(vx, calico(vx), vx.nodes[0]!)).toEqual([]);
    const conf = birdConf(vx, calico(vx), vx.nodes[0]!, 'log');
    expect(conf).toContain(
      "  if (net ~ 10.244.0.0/16) then {\n    # Don't program VXLAN routes into the kernel - these are handled by Felix.\n    reject;\n  }",
    );
  });

  it('sees a blackhole of felix’s that another daemon replaced: the protocol is part of the route', () => {
    const vx = shippedLab('calico-vxlan');
    const plan = planLab(vx, { stateDir: '/run/netlab/calico-vxlan' });
    const op = plan.stages.flatMap((s) => s.ops).find((o) => o.kind === 'route.blackhole')!;
    const netns = (op as { netns: string }).netns;
    const ns = (routes: LiveRoute[]) => ({ links: [], addresses: [], routes, neighbours: [], fdb: [], sysctls: {} });
    const whats = (routes: LiveRoute[]) =>
      findDrift(
        { ...plan, stages: [{ name: 'routes', title: '', barrier: false, ops: [op] }] },
        { namespaces: { [netns]: ns(routes) }, agentRunning: true },
      ).missing.map((d) => d.what);
    expect(whats([{ dst: '10.244.0.0/26', type: 'blackhole', onlink: false, protocol: 80 }])).toEqual([]);
    expect(whats([{ dst: '10.244.0.0/26', type: 'blackhole', onlink: false, protocol: 12 }])).toEqual([
      'node node1: blackhole 10.244.0.0/26 is proto 12, not 80',
    ]);
    expect(whats([])).toEqual(['node node1: blackhole 10.244.0.0/26 proto 80 is missing']);
  });
});

describe("BIRD's configuration", () => {
  const lab = shippedLab('calico');
  const [n1, n2] = lab.nodes as [Lab['nodes'][number], Lab['nodes'][number]];

  it('is pinned for node1 of the three-node mesh', async () => {
    await expect(birdConf(lab, calico(lab), n1, '/run/netlab/calico/bgp/node1.log')).toMatchFileSnapshot('__snapshots__/calico-node1.bird.conf');
  });

  it('decides who connects as Calico does, comparing addresses as strings: .9 connects to .10 (confd bgp_processor.go)', () => {
    const pair = labOf({
      name: 'pair',
      network: { backend: 'calico', underlay: { cidr: '192.168.19.0/24' } },
      nodes: [
        { name: 'a', address: '192.168.19.9' },
        { name: 'b', address: '192.168.19.10' },
      ],
    });
    const [a, b] = pair.nodes as [Lab['nodes'][number], Lab['nodes'][number]];
    // "192.168.19.9" > "192.168.19.10" as strings (numerically the opposite): b waits, a connects.
    expect(bgpSessions(pair, calico(pair), a).map((s) => [s.name, s.passive])).toEqual([['Mesh_192_168_19_10', false]]);
    expect(bgpSessions(pair, calico(pair), b).map((s) => [s.name, s.passive])).toEqual([['Mesh_192_168_19_9', true]]);
    expect(birdConf(pair, calico(pair), b, 'log')).toContain('  passive on; # Mesh is unidirectional, peer will connect to us.');
  });

  it('meshes every pair once: the node whose peer has the greater address is passive, as in Calico’s template', () => {
    expect(bgpSessions(lab, calico(lab), n1).map((s) => [s.name, s.passive])).toEqual([
      ['Mesh_192_168_19_2', true],
      ['Mesh_192_168_19_3', true],
    ]);
    expect(bgpSessions(lab, calico(lab), n2).map((s) => [s.name, s.passive])).toEqual([
      ['Mesh_192_168_19_1', false],
      ['Mesh_192_168_19_3', true],
    ]);
  });

  it('announces only blocks, and installs blocks learned over BGP and the own blackhole in the kernel', () => {
    const conf = birdConf(lab, calico(lab), n1, 'log');
    // bird_aggr.cfg.template: an unnamed static protocol (BIRD calls it static1) with a blackhole per block, and calico_aggr.
    expect(conf).toContain('protocol static {\n  ipv4;\n   # IP blocks for this host.\n   route 10.244.0.0/26 blackhole;\n}');
    expect(conf).toContain('      if ( net = 10.244.0.0/26 ) then { accept; }\n      if ( net ~ 10.244.0.0/26 ) then { reject; }');
    // compiled_templates/mesh/bgp-export/bird.cfg: each session's export filter.
    expect(conf).toContain('    export filter {\n      calico_export_to_bgp_peers(true);\n      reject;\n    };');
    // bird.cfg.template: the kernel protocol learns and persists; the BGP template's timers.
    expect(conf).toMatch(/protocol kernel \{\n {2}learn;.*\n {2}persist;.*\n {2}scan time 2;/);
    expect(conf).toContain('  connect delay time 1;\n  connect retry time 3;\n  error wait time 5,60;');
    expect(conf).toContain('protocol direct {\n  debug { states };\n  ipv4;\n  interface -"cali*", -"kube-ipvs*", "*";');
    expect(conf).not.toMatch(/hold time|keepalive time|next hop self/);
  });

  it('with a route reflector: clients peer with it alone; it reflects with next hops unchanged', () => {
    const rr = labOf({
      name: 'rr',
      network: { backend: 'calico', calico: { routeReflector: 'n1' } },
      nodes: [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }],
      pods: [{ name: 'p', replicas: 3 }],
    });
    const [r1, r2] = rr.nodes as [Lab['nodes'][number], Lab['nodes'][number]];
    expect(bgpSessions(rr, calico(rr), r2).map((s) => s.name)).toEqual(['Node_192_168_19_1']);
    expect(bgpSessions(rr, calico(rr), r1).map((s) => [s.name, s.rrClient])).toEqual([
      ['Node_192_168_19_2', true],
      ['Node_192_168_19_3', true],
    ]);
    const conf = birdConf(rr, calico(rr), r1, 'log');
    expect(conf).toContain('rr client;');
    expect(conf).toContain('rr cluster id 192.168.19.1;');
    // Calico's export filter accepts any route in the pool: iBGP's rules, not the filter, keep a client's routes from other clients unless reflected.
    expect(conf).toContain('  if (net ~ 10.244.0.0/16) then { accept; }\n}');
    expect(conf).not.toContain('next hop self');
  });

  it('with IP-in-IP: BGP routes go to the kernel onlink through tunl0', () => {
    const ipip = labOf({ name: 'ipip', network: { backend: 'calico', calico: { encapsulation: 'ipip' } }, nodes: [{ name: 'n1' }, { name: 'n2' }] });
    expect(birdConf(ipip, calico(ipip), ipip.nodes[0]!, 'log')).toContain(
      '    if (source = RTS_BGP) then { onlink = true; ifname = "tunl0"; gw = bgp_next_hop; }\n    accept;',
    );
    expect(ipip.network.podMTU).toBe(1480);
  });
});

describe("BIRD's protocol table", () => {
  const text = [
    'BIRD 2.0.12 ready.',
    'Name       Proto      Table      State  Since         Info',
    'device1    Device     ---        up     19:30:14      ',
    'kernel1    Kernel     master4    up     19:30:14      ',
    'Mesh_192_168_19_2 BGP        ---        up     19:31:02      Established   ',
    'Mesh_192_168_19_3 BGP        ---        start  19:30:22      Passive       Received: Administrative shutdown',
    'Mesh_192_168_19_4 BGP        ---        down   19:30:22      ',
  ].join('\n');

  it('is read line by line, session state and error kept apart', () => {
    const p = parseBirdProtocols(text);
    expect(p.map((x) => x.name)).toEqual(['device1', 'kernel1', 'Mesh_192_168_19_2', 'Mesh_192_168_19_3', 'Mesh_192_168_19_4']);
    expect(p.map(isEstablished)).toEqual([false, false, true, false, false]);
    expect(p.slice(2).map(describeSession)).toEqual(['Established', 'Passive (Received: Administrative shutdown)', 'down (disabled)']);
  });
});

describe('calico drift', () => {
  const lab = shippedLab('calico');
  const plan = planLab(lab, { stateDir: '/run/netlab/calico' });
  const establish = plan.stages.flatMap((s) => s.ops).filter((op) => op.kind === 'bgp.establish');
  const liveWith = (bgp: LiveLab['bgp']): LiveLab => ({ namespaces: {}, agentRunning: true, daemons: {}, bgp });

  it('names each session that is not Established, and a BIRD that does not answer', () => {
    const live = liveWith({
      'netlab.calico.node.node1': [
        { name: 'Mesh_192_168_19_2', established: false, state: 'down (disabled)' },
        { name: 'Mesh_192_168_19_3', established: true, state: 'Established' },
      ],
      'netlab.calico.node.node2': null,
    });
    // Only the nodes' namespaces matter here; give them an empty live state.
    for (const op of establish) live.namespaces[op.netns] = { links: [], addresses: [], routes: [], neighbours: [], fdb: [], sysctls: {} };
    const drift = findDrift({ lab: plan.lab, stages: plan.stages.filter((s) => s.name === 'converge') }, live);
    expect(drift.missing.map((d) => d.what)).toEqual([
      'node node1: BGP session Mesh_192_168_19_2 (node node2) is down (disabled)',
      'node node2: BIRD does not answer on /run/netlab/calico/bgp/node2.ctl',
    ]);
  });
});

describe('trace through calico', () => {
  const lab = shippedLab('calico');
  const drop: Trace = {
    lab: 'calico',
    from: 'pod1',
    to: 'pod3',
    packet: { src: '10.244.0.0', dst: '10.244.0.64', proto: 'icmp' },
    arrived: false,
    hops: [
      {
        n: 1,
        kind: 'drop',
        netns: 'netlab.calico.node.node1',
        where: 'node1',
        summary: 'no route to 10.244.0.64: Network is unreachable',
        packet: { src: '10.244.0.0', dst: '10.244.0.64', proto: 'icmp' },
      },
    ],
  };
  const observer = (state: string, established = false): Observer =>
    ({ bgpSessions: async () => [{ name: 'Mesh_192_168_19_2', established, state }] }) as unknown as Observer;

  it('names the session that should have carried a missing block route, and its state', async () => {
    const t = await withBgpExplanation(lab, drop, observer('down (disabled)'));
    expect(t.hops[0]!.summary).toBe(
      "no route to 10.244.0.64: Network is unreachable; 10.244.0.64 is in 10.244.0.64/26, node node2's block, which node1 learns over BGP session Mesh_192_168_19_2 (with node2): that session is down (disabled): `netlab bgp calico node1 show protocols`; `netlab up` brings it back",
    );
  });

  it('says when the session is up but the route is not', async () => {
    const t = await withBgpExplanation(lab, drop, observer('Established', true));
    expect(t.hops[0]!.summary).toMatch(/that session is Established, yet the route is not in the kernel: ask `netlab bgp calico node2 show route`/);
  });

  it('says which session taught a node the route it used', async () => {
    const hop = {
      ...drop.hops[0]!,
      kind: 'route' as const,
      summary: '10.244.0.64 goes via 192.168.19.2 out of eth0',
      entry: '10.244.0.64/26 via 192.168.19.2 dev eth0 proto bird',
    };
    const t = await withBgpExplanation(lab, { ...drop, hops: [hop] }, observer('Established', true));
    expect(t.hops[0]!.summary).toMatch(/the route is node2's block, learned over BGP session Mesh_192_168_19_2$/);
  });
});

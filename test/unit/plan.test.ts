import { describe, expect, it } from 'vitest';
import { planLab } from '../../src/plan/index.js';
import type { Op } from '../../src/plan/ops.js';
import { planToShell } from '../../src/plan/shell.js';
import { labOf, shippedLab } from '../helpers/labs.js';

const AGENT = '/usr/lib/netlab/runtime/netlab-agent.py';
const ops = (lab: ReturnType<typeof shippedLab>) => planLab(lab, { stateDir: `/run/netlab/${lab.name}` }).stages.flatMap((s) => s.ops);

describe('plan', () => {
  it.each(['two-node', 'host-gw', 'same-node', 'pod-containers'])('of %s is pinned as a shell script', async (name) => {
    await expect(
      planToShell(planLab(shippedLab(name), { stateDir: `/run/netlab/${name}` }), {
        agentPath: AGENT,
        speakerPath: '/usr/lib/netlab/runtime/netlab-speaker.py',
        python: 'python3',
      }),
    ).toMatchFileSnapshot(`__snapshots__/${name}.sh`);
  });

  it('installs flannel VXLAN state per remote node: neighbour, FDB, onlink route, and no cluster route', () => {
    const node1 = ops(shippedLab('two-node')).filter((op) => 'netns' in op && op.netns === 'netlab.two-node.node.node1');
    const routing = node1.filter((op) => ['neigh.replace', 'fdb.replace', 'route.add'].includes(op.kind));
    expect(routing).toEqual([
      { kind: 'neigh.replace', netns: 'netlab.two-node.node.node1', address: '10.244.1.0', lladdr: expect.any(String), dev: 'flannel.1' },
      { kind: 'fdb.replace', netns: 'netlab.two-node.node.node1', mac: expect.any(String), dev: 'flannel.1', dst: '192.168.19.14' },
      { kind: 'route.add', netns: 'netlab.two-node.node.node1', verb: 'replace', dst: '10.244.1.0/24', via: '10.244.1.0', dev: 'flannel.1', onlink: true },
    ]);
    const [neigh, fdb] = routing as [Extract<Op, { kind: 'neigh.replace' }>, Extract<Op, { kind: 'fdb.replace' }>];
    expect(neigh.lladdr).toBe(fdb.mac);
    expect(node1).toContainEqual(
      expect.objectContaining({ kind: 'link.add.vxlan', name: 'flannel.1', vni: 1, port: 8472, local: '192.168.19.13', dev: 'eth0', mtu: 1450 }),
    );
    expect(node1).toContainEqual({ kind: 'addr.add', netns: 'netlab.two-node.node.node1', dev: 'flannel.1', address: '10.244.0.0/32' });
    expect(node1.some((op) => op.kind === 'route.add' && op.dst === '10.244.0.0/16')).toBe(false);
  });

  it('routes host-gw subnets via the other nodes, with no tunnel', () => {
    const all = ops(shippedLab('host-gw'));
    expect(all.some((op) => op.kind === 'link.add.vxlan')).toBe(false);
    const routes = all.filter((op) => op.kind === 'route.add' && op.netns === 'netlab.host-gw.node.node1');
    expect(routes.map((r) => r.kind === 'route.add' && `${r.dst} via ${r.via} dev ${r.dev}`)).toEqual([
      '10.244.1.0/24 via 192.168.19.2 dev eth0',
      '10.244.2.0/24 via 192.168.19.3 dev eth0',
    ]);
  });

  it('creates every namespace first and touches no namespace it did not create', () => {
    const plan = planLab(shippedLab('two-node'), { stateDir: '/run/netlab/two-node' });
    expect(plan.stages[0]!.name).toBe('namespaces');
    const created = new Set(plan.stages[0]!.ops.map((op) => (op.kind === 'netns.add' ? op.netns : '')));
    for (const op of plan.stages.slice(1).flatMap((s) => s.ops)) {
      if ('netns' in op) expect(created).toContain(op.netns);
      if (op.kind === 'link.add.veth') expect(created).toContain(op.peer.netns);
    }
  });

  it('gives pods the backend MTU on both veth ends', () => {
    const veths = ops(shippedLab('two-node')).filter((op) => op.kind === 'link.add.veth' && op.peer.name === 'eth0');
    expect(veths).toHaveLength(4);
    for (const v of veths) expect(v.kind === 'link.add.veth' && v.mtu).toBe(1450);
  });

  it('starts no runtime for a lab without listening containers', () => {
    const lab = labOf({ name: 'quiet', nodes: [{ name: 'n1' }], pods: [{ name: 'p' }] });
    expect(planLab(lab, { stateDir: `/run/netlab/${lab.name}` }).stages.map((s) => s.name)).not.toContain('containers');
  });

  it('is the same plan for the same lab', () => {
    expect(planLab(shippedLab('two-node'), { stateDir: '/run/netlab/two-node' })).toEqual(
      planLab(shippedLab('two-node'), { stateDir: '/run/netlab/two-node' }),
    );
  });
});

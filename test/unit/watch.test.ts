import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findDrift, whatToRead } from '../../src/plan/drift.js';
import { planLab } from '../../src/plan/index.js';
import type { LiveLab, LiveNetns } from '../../src/plan/live.js';
import { unwatchedQuery, watchConfig, watchedDigest, watchedNamespaces, watchPays, WATCH_FROM_PODS } from '../../src/plan/watch.js';
import { loadLabText } from '../../src/lab/index.js';
import { shippedLab } from '../helpers/labs.js';

const planOf = (name: string) => planLab(shippedLab(name), { stateDir: `/run/netlab/${name}` });

describe('what the watcher can vouch for', () => {
  it('every pod of two-node, eth0 for its settings, the nodes as the veths’ other ends', () => {
    const plan = planOf('two-node');
    expect(watchedNamespaces(plan)).toEqual(['pod1', 'pod2', 'pod3', 'pod4'].map((p) => `netlab.two-node.pod.${p}`));
    const config = watchConfig(plan, '/run/netlab/two-node', 1);
    expect(config.socket).toBe('/run/netlab/two-node/watch.sock');
    expect(config.namespaces).toContainEqual({ netns: 'netlab.two-node.pod.pod1', devices: ['eth0'] });
    expect(config.peers.sort()).toEqual(['netlab.two-node.node.node1', 'netlab.two-node.node.node2']);
  });

  it('no pod that runs a daemon (cluster DNS runs dnsmasq): those are read', () => {
    const plan = planOf('dns');
    const watched = watchedNamespaces(plan);
    const daemons = plan.stages.flatMap((s) => s.ops).filter((op) => op.kind === 'daemon.start');
    expect(daemons.length).toBeGreaterThan(0);
    for (const op of daemons) expect(watched).not.toContain(op.netns);
    expect(watched.length).toBeGreaterThan(0);
  });

  it('never a node or the fabric', () => {
    for (const name of ['two-node', 'host-gw', 'calico', 'services', 'cni-reference']) {
      for (const netns of watchedNamespaces(planOf(name))) expect(netns).toMatch(/\.pod\./);
    }
  });

  it('the digest is sha256 of the names a line each, as netlab-watch.py computes it', () => {
    const names = ['netlab.a.pod.x', 'netlab.a.pod.y'];
    expect(watchedDigest(names)).toBe(createHash('sha256').update('netlab.a.pod.x\nnetlab.a.pod.y').digest('hex'));
  });

  it('status reads every time exactly what is not watched, as a text it can compare', () => {
    const plan = planOf('two-node');
    const watched = new Set(watchedNamespaces(plan));
    const rest = unwatchedQuery(whatToRead(plan), watched);
    expect([...rest.query.keys()].sort()).toEqual(['netlab.two-node.fabric', 'netlab.two-node.node.node1', 'netlab.two-node.node.node2']);
    expect(rest.text).toBe(JSON.stringify([...rest.query]));
    expect(unwatchedQuery(whatToRead(plan), watched).text).toBe(rest.text);
  });
});

describe('when up starts a watcher unless told', () => {
  /** A lab of `pods` replicas, 250 a node, as bench/run.ts builds its large cases. */
  const sized = (pods: number) => {
    const nodes = Array.from({ length: Math.ceil(pods / 250) }, (_, i) => `{ name: node${i + 1} }`).join(', ');
    const lab = loadLabText('sized.yaml', `name: sized\nnodes: [${nodes}]\npods: [{ name: pod, replicas: ${pods} }]\n`);
    if (!lab.ok) throw new Error(lab.problems.map((p) => p.message).join('\n'));
    return planLab(lab.lab, { stateDir: '/run/netlab/sized' });
  };

  it('not for the shipped labs: reading them whole is well under status’s second', () => {
    for (const name of ['two-node', 'dns', 'services', 'calico']) expect(watchPays(planOf(name)), name).toBe(false);
  });

  it('from WATCH_FROM_PODS watched pods on', () => {
    expect(WATCH_FROM_PODS).toBe(4000);
    expect(watchPays(sized(WATCH_FROM_PODS - 1))).toBe(false);
    expect(watchPays(sized(WATCH_FROM_PODS))).toBe(true);
  });
});

describe('drift with pods the watcher vouches for', () => {
  const plan = planOf('two-node');
  const empty = (): LiveNetns => ({ links: [], addresses: [], routes: [], neighbours: [], fdb: [], sysctls: {} });

  it('a vouched pod is not compared, and its node’s veth is not blamed for its peer', () => {
    // Nothing read but pod1's veth on node1, as planned; pod1 itself is vouched for, not read.
    const veth = plan.stages.flatMap((s) => s.ops).find((op) => op.kind === 'link.add.veth' && op.peer.netns === 'netlab.two-node.pod.pod1');
    if (veth?.kind !== 'link.add.veth') throw new Error('two-node wires pod1 with a veth');
    const liveOf = (unchanged: string[]): LiveLab => {
      const namespaces: LiveLab['namespaces'] = Object.fromEntries([...whatToRead(plan).keys()].map((n) => [n, empty()]));
      namespaces[veth.netns]!.links.push({ name: veth.name, index: 5, kind: 'veth', mac: veth.mac, mtu: veth.mtu, up: true, arp: true, peerIndex: 2 });
      for (const n of unchanged) delete namespaces[n];
      return { namespaces, ...(unchanged.length > 0 ? { unchanged } : {}), agentRunning: true, daemons: {}, bgp: {} };
    };
    const vouched = findDrift(plan, liveOf(['netlab.two-node.pod.pod1'])).missing.map((d) => d.what);
    expect(vouched.some((w) => w.startsWith('pod pod1:'))).toBe(false);
    expect(vouched).not.toContain('namespace netlab.two-node.pod.pod1 is missing');
    expect(vouched.some((w) => w.includes(`the peer eth0 of ${veth.name}`))).toBe(false);
    // pod2 is read (and empty here): its problems are said.
    expect(vouched.some((w) => w.startsWith('pod pod2:'))).toBe(true);
    // Read (empty) instead of vouched for, pod1 is named, and so is the veth's missing peer.
    const read = findDrift(plan, liveOf([])).missing.map((d) => d.what);
    expect(read.some((w) => w.startsWith('pod pod1:'))).toBe(true);
    expect(read.some((w) => w.includes(`the peer eth0 of ${veth.name}`))).toBe(true);
  });
});

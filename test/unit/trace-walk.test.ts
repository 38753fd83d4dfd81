import { describe, expect, it } from 'vitest';
import type { LinkInfo, Observer, RouteAnswer } from '../../src/trace/types.js';
import { walk } from '../../src/trace/walk.js';

/**
 * A fake kernel: one node with two pods on cni0 (same-node lab). Namespaces,
 * links and addresses as `ip -j` would report them.
 */
const NODE = 'netlab.t.node.node1';
const A = 'netlab.t.pod.a';
const B = 'netlab.t.pod.b';
const links: Record<string, LinkInfo[]> = {
  [A]: [{ name: 'eth0', ifindex: 2, kind: 'veth', mac: 'aa:00:00:00:00:0a', mtu: 1450, peer: { nsid: 0, ifindex: 10 } }],
  [B]: [{ name: 'eth0', ifindex: 2, kind: 'veth', mac: 'bb:00:00:00:00:0b', mtu: 1450, peer: { nsid: 0, ifindex: 11 } }],
  [NODE]: [
    { name: 'cni0', ifindex: 3, kind: 'bridge', mac: 'cc:00:00:00:00:01', mtu: 1450 },
    { name: 'vetha', ifindex: 10, kind: 'veth', mac: '02:00:00:00:00:0a', mtu: 1450, master: 'cni0', peer: { nsid: 1, ifindex: 2 } },
    { name: 'vethb', ifindex: 11, kind: 'veth', mac: '02:00:00:00:00:0b', mtu: 1450, master: 'cni0', peer: { nsid: 2, ifindex: 2 } },
  ],
};
const ids: Record<string, Record<number, string>> = { [A]: { 0: NODE }, [B]: { 0: NODE }, [NODE]: { 1: A, 2: B } };
const addresses: Record<string, Record<string, string[]>> = { [A]: { eth0: ['10.244.0.2'] }, [B]: { eth0: ['10.244.0.3'] }, [NODE]: { cni0: ['10.244.0.1'] } };

function fakeKernel(routes: Record<string, (dst: string) => RouteAnswer>): Observer {
  return {
    routeGet: async (netns, dst) => routes[netns]!(dst),
    link: async (netns, dev) => links[netns]?.find((l) => l.name === dev),
    linkByIndex: async (netns, i) => links[netns]?.find((l) => l.ifindex === i),
    netnsById: async (netns, id) => ids[netns]?.[id],
    neighbour: async () => undefined, // a cold cache: every MAC must be found the way ARP finds it
    fdb: async () => undefined, // nothing learned yet: the bridge floods, the walk finds the port
    ports: async (netns, bridge) => (links[netns] ?? []).filter((l) => l.master === bridge),
    addresses: async (netns, dev) => addresses[netns]?.[dev] ?? [],
    vxlans: async () => [],
  };
}

const local =
  (own: string) =>
  (dst: string): RouteAnswer =>
    dst === own ? { ok: true, type: 'local', dev: 'lo' } : { ok: true, type: 'unicast', dev: 'eth0', matched: '10.244.0.0/24 dev eth0' };

describe('the trace walk', () => {
  it('follows a same-node packet across veth, bridge and veth, resolving MACs as ARP would', async () => {
    const o = fakeKernel({ [A]: local('10.244.0.2'), [B]: local('10.244.0.3'), [NODE]: () => ({ ok: false, error: 'unused' }) });
    const { hops, arrived } = await walk(o, A, { src: '10.244.0.2', dst: '10.244.0.3', proto: 'icmp' });
    expect(arrived).toBe(true);
    expect(hops.map((h) => `${h.where} ${h.kind} ${h.iface ?? ''}`.trim())).toEqual([
      'a route eth0',
      'node1 veth vetha',
      'node1 bridge vethb',
      'b veth eth0',
      'b deliver eth0',
    ]);
    expect(hops[0]!.summary).toContain('10.244.0.3 is bb:00:00:00:00:0b (not cached: ARP asks who-has 10.244.0.3 on eth0)');
    expect(hops[2]!.entry).toContain('not learned yet: flooded, and port vethb leads to it');
  });

  it('stops where no route exists, and says which lookup to run', async () => {
    const o = fakeKernel({ [A]: () => ({ ok: false, error: 'Network is unreachable' }), [B]: local('10.244.0.3'), [NODE]: local('10.244.0.1') });
    const { hops, arrived } = await walk(o, A, { src: '10.244.0.2', dst: '10.244.9.9', proto: 'icmp' });
    expect(arrived).toBe(false);
    expect(hops).toEqual([
      expect.objectContaining({ n: 1, kind: 'drop', where: 'a', summary: 'no route to 10.244.9.9: Network is unreachable', entry: 'ip route get 10.244.9.9' }),
    ]);
  });

  it('a bridge never sends a frame back out of the port it came in on, unless that port has hairpin on', async () => {
    const o = fakeKernel({ [A]: local('10.244.0.2'), [B]: local('10.244.0.3'), [NODE]: local('10.244.0.1') });
    // Something answers ARP for an address with the sender's own MAC (a speaker on the same host, say).
    const arpAnswers = new Map([['10.244.0.50', { mac: 'aa:00:00:00:00:0a', why: 'answered for by the sender itself' }]]);
    const off = await walk(o, A, { src: '10.244.0.2', dst: '10.244.0.50', proto: 'icmp' }, { arpAnswers });
    expect(off.arrived).toBe(false);
    expect(off.hops.at(-1)).toMatchObject({
      kind: 'drop',
      where: 'node1',
      summary: 'cni0 drops the frame for aa:00:00:00:00:0a: it would leave by vetha, the port it came in on, and that port has hairpin off',
    });
    links[NODE]![1]!.hairpin = true;
    try {
      const on = await walk(o, A, { src: '10.244.0.2', dst: '10.244.0.50', proto: 'icmp' }, { arpAnswers });
      expect(on.hops.map((h) => `${h.where} ${h.kind} ${h.iface ?? ''}`.trim()).slice(0, 4)).toEqual([
        'a route eth0',
        'node1 veth vetha',
        'node1 bridge vetha',
        'a veth eth0',
      ]);
    } finally {
      delete links[NODE]![1]!.hairpin;
    }
  });

  it('stops when nobody on the segment holds the next hop', async () => {
    const o = fakeKernel({ [A]: local('10.244.0.2'), [B]: local('10.244.0.3'), [NODE]: local('10.244.0.1') });
    const { hops, arrived } = await walk(o, A, { src: '10.244.0.2', dst: '10.244.0.99', proto: 'icmp' });
    expect(arrived).toBe(false);
    expect(hops.at(-1)).toMatchObject({ kind: 'drop', summary: expect.stringContaining('nobody on eth0 answers for 10.244.0.99') });
  });
});

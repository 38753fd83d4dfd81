import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hop } from '../../src/trace/types.js';
import { isRoot, labFileAs, netlab } from '../helpers/kernel.js';

const VX = 'it-trace-vx';
const GW = 'it-trace-gw';
type TraceJson = { arrived: boolean; hops: Array<Hop & { seen?: boolean }>; verdict?: string | null };

async function trace(args: string[]): Promise<{ code: number; t: TraceJson }> {
  const r = await netlab(['trace', ...args, '--json']);
  return { code: r.code, t: JSON.parse(r.stdout || '{"hops":[]}') as TraceJson };
}
const steps = (t: TraceJson) => t.hops.map((h) => `${h.where} ${h.kind}${h.iface ? ` ${h.iface}` : ''}`);

describe.skipIf(!isRoot)('netlab trace on the real kernel', () => {
  beforeAll(async () => {
    expect((await netlab(['up', await labFileAs('two-node', VX)])).code).toBe(0);
    expect((await netlab(['up', await labFileAs('host-gw', GW)])).code).toBe(0);
  });
  afterAll(async () => {
    await netlab(['down', VX]);
    await netlab(['down', GW]);
  });

  it('walks a cross-node VXLAN packet hop by hop, in the order it meets them', async () => {
    const { code, t } = await trace([VX, 'pod1', 'pod4']);
    expect(code).toBe(0);
    expect(steps(t)).toEqual([
      'pod1 route eth0',
      'node1 veth ' + t.hops[1]!.iface,
      'node1 bridge cni0',
      'node1 route flannel.1',
      'node1 encap flannel.1',
      'node1 route eth0',
      'fabric veth node1',
      'fabric bridge node2',
      'node2 veth eth0',
      'node2 decap flannel.1',
      'node2 route cni0',
      'node2 bridge ' + t.hops[11]!.iface,
      'pod4 veth eth0',
      'pod4 deliver eth0',
    ]);
    expect(t.hops[1]!.iface).toMatch(/^veth[0-9a-f]{8}$/);
    expect(t.hops[3]!.entry).toBe('10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink');
    expect(t.hops[4]!.summary).toContain('UDP 192.168.19.13 → 192.168.19.14:8472');
    expect(t.hops[4]!.packet).toEqual({ src: '192.168.19.13', dst: '192.168.19.14', proto: 'udp', port: 8472 });
    expect(t.hops[10]!.packet).toMatchObject({ src: '10.244.0.2', dst: '10.244.1.3' });
  });

  it('walks a host-gw packet over a plain route via the other node', async () => {
    const { code, t } = await trace([GW, 'client', 'web-1', '--port', '80']);
    expect(code).toBe(0);
    expect(steps(t).map((s) => s.replace(/veth[0-9a-f]{8}/, 'vethX'))).toEqual([
      'client route eth0',
      'node1 veth vethX',
      'node1 bridge cni0',
      'node1 route eth0',
      'fabric veth node1',
      'fabric bridge node2',
      'node2 veth eth0',
      'node2 route cni0',
      'node2 bridge vethX',
      'web-1 veth eth0',
      'web-1 deliver eth0',
    ]);
    expect(t.hops[3]!.entry).toBe('10.244.1.0/24 via 192.168.19.2 dev eth0');
    expect(t.hops.some((h) => h.kind === 'encap')).toBe(false);
  });

  it('--verify sees the packet on every hop of a healthy lab', async () => {
    const { code, t } = await trace([VX, 'pod1', 'pod4', '--verify']);
    expect(code).toBe(0);
    const tapped = t.hops.filter((h) => h.seen !== undefined);
    expect(tapped.length).toBeGreaterThan(8);
    expect(tapped.every((h) => h.seen)).toBe(true);
  });

  describe('names the broken hop', () => {
    const node1 = `netlab.${VX}.node.node1`;
    let vtep: string;
    beforeAll(async () => {
      vtep = JSON.parse((await execa('ip', ['-n', node1, '-j', 'neigh', 'show', '10.244.1.0', 'dev', 'flannel.1'])).stdout)[0].lladdr;
    });

    it('after the FDB entry for the remote VTEP is removed', async () => {
      await execa('bridge', ['-n', node1, 'fdb', 'del', vtep, 'dev', 'flannel.1', 'dst', '192.168.19.14', 'self']);
      try {
        const { code, t } = await trace([VX, 'pod1', 'pod4', '--verify']);
        expect(code).toBe(1);
        expect(t.hops.at(-1)).toMatchObject({ kind: 'drop', where: 'node1', iface: 'flannel.1' });
        expect(t.verdict).toMatch(/last seen at hop 4, node1 flannel\.1; no FDB entry for the remote VTEP/);
        expect(t.hops.find((h) => h.n === 4)!.seen).toBe(true);
      } finally {
        await execa('bridge', ['-n', node1, 'fdb', 'replace', vtep, 'dev', 'flannel.1', 'dst', '192.168.19.14', 'self', 'permanent']);
      }
    });

    it('after the route to the other node is removed', async () => {
      await execa('ip', ['-n', node1, 'route', 'del', '10.244.1.0/24']);
      try {
        const { code, t } = await trace([VX, 'pod1', 'pod4', '--verify']);
        expect(code).toBe(1);
        expect(t.hops.at(-1)).toMatchObject({ kind: 'drop', where: 'node1', summary: expect.stringContaining('no route to 10.244.1.3') });
        expect(t.verdict).toMatch(/last seen at hop 3, node1 cni0; no route to 10\.244\.1\.3/);
      } finally {
        await execa('ip', ['-n', node1, 'route', 'replace', '10.244.1.0/24', 'via', '10.244.1.0', 'dev', 'flannel.1', 'onlink']);
      }
    });

    it('after the neighbour entry for the remote VTEP is removed', async () => {
      await execa('ip', ['-n', node1, 'neigh', 'del', '10.244.1.0', 'dev', 'flannel.1']);
      try {
        const { code, t } = await trace([VX, 'pod1', 'pod4', '--verify']);
        expect(code).toBe(1);
        expect(t.hops.at(-1)).toMatchObject({ kind: 'drop', entry: 'ip neigh show 10.244.1.0 dev flannel.1' });
        expect(t.verdict).toMatch(/no neighbour entry for 10\.244\.1\.0 on flannel\.1/);
      } finally {
        await execa('ip', ['-n', node1, 'neigh', 'replace', '10.244.1.0', 'lladdr', vtep, 'dev', 'flannel.1', 'nud', 'permanent']);
      }
      expect((await trace([VX, 'pod1', 'pod4', '--verify'])).code).toBe(0);
    });
  });

  it('refuses unknown endpoints and labs that are not up', async () => {
    expect((await netlab(['trace', VX, 'pod9', 'pod1'])).code).toBe(2);
    expect((await netlab(['trace', 'it-not-up', 'pod1', 'pod2'])).code).toBe(2);
    expect((await netlab(['trace', VX, 'pod1', 'pod4', '--proto', 'udp'])).code).toBe(2);
  });
});

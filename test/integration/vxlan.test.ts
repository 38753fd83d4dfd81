import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/pid.js';
import { ask, ipj, isRoot, labFileAs, netlab, netnsOf, ping, processesOf, stateDirExists, sysctl } from '../helpers/kernel.js';

const LAB = 'it-vxlan';
const ns = (kind: 'node' | 'pod', name: string) => `netlab.${LAB}.${kind}.${name}`;

type Link = {
  ifname: string;
  mtu: number;
  address: string;
  operstate: string;
  master?: string;
  link_netnsid?: number;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
};

describe.skipIf(!isRoot)('the two-node VXLAN lab on the real kernel', () => {
  let file: string;
  let status: { nodes: Array<Record<string, string>>; pods: Array<Record<string, string>> };

  beforeAll(async () => {
    file = await labFileAs('two-node', LAB);
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
    const s = await netlab(['status', LAB, '--json']);
    status = JSON.parse(s.stdout);
  });

  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('makes one namespace per node and pod, and the fabric', async () => {
    expect(await netnsOf(LAB)).toEqual(
      [`netlab.${LAB}.fabric`, ns('node', 'node1'), ns('node', 'node2'), ns('pod', 'pod1'), ns('pod', 'pod2'), ns('pod', 'pod3'), ns('pod', 'pod4')].sort(),
    );
  });

  it('creates flannel.1 exactly as flannel does', async () => {
    const [vxlan] = await ipj<Link[]>(ns('node', 'node1'), ['-d', 'link', 'show', 'flannel.1']);
    expect(vxlan!.mtu).toBe(1450);
    expect(vxlan!.linkinfo!.info_kind).toBe('vxlan');
    expect(vxlan!.linkinfo!.info_data).toMatchObject({ id: 1, port: 8472, local: '192.168.19.13', link: 'eth0', learning: false });
    const addrs = await ipj<Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>>(ns('node', 'node1'), ['addr', 'show', 'dev', 'flannel.1']);
    expect(addrs[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain('10.244.0.0/32');
  });

  it('holds one neighbour, one FDB entry and one onlink route per remote node, and no cluster route', async () => {
    const node1 = ns('node', 'node1');
    const [remoteVtep] = await ipj<Link[]>(ns('node', 'node2'), ['link', 'show', 'flannel.1']);
    const published = JSON.parse((status.nodes[1] as unknown as { annotations: Record<string, string> }).annotations['flannel.alpha.coreos.com/backend-data']!);
    expect(published.VtepMAC).toBe(remoteVtep!.address);
    const neigh = await ipj<Array<{ dst: string; lladdr: string; state: string[] }>>(node1, ['neigh', 'show', 'dev', 'flannel.1']);
    expect(neigh).toEqual([expect.objectContaining({ dst: '10.244.1.0', lladdr: remoteVtep!.address, state: ['PERMANENT'] })]);
    const fdb = await ipj<Array<{ mac: string; dst?: string; flags: string[]; state: string }>>(node1, ['fdb', 'show', 'dev', 'flannel.1'], 'bridge');
    expect(fdb.filter((f) => f.dst)).toEqual([
      expect.objectContaining({ mac: remoteVtep!.address, dst: '192.168.19.14', flags: ['self'], state: 'permanent' }),
    ]);
    const routes = await ipj<Array<{ dst: string; gateway?: string; dev: string; flags: string[] }>>(node1, ['route', 'show']);
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.244.1.0/24', gateway: '10.244.1.0', dev: 'flannel.1', flags: ['onlink'] }));
    expect(routes.map((r) => r.dst)).not.toContain('10.244.0.0/16');
    expect(routes.filter((r) => r.dev === 'flannel.1')).toHaveLength(1);
  });

  it('wires the node like the CNI bridge plugin: cni0 gateway, hairpin veths, forwarding', async () => {
    const node1 = ns('node', 'node1');
    const addrs = await ipj<Array<{ ifname: string; mtu: number; addr_info: Array<{ local: string; prefixlen: number }> }>>(node1, [
      '-4',
      'addr',
      'show',
      'dev',
      'cni0',
    ]);
    expect(addrs[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.244.0.1/24']);
    expect(addrs[0]!.mtu).toBe(1450);
    const ports = await ipj<Array<{ ifname: string; master: string; hairpin?: boolean; state: string }>>(
      node1,
      ['-d', 'link', 'show', 'master', 'cni0'],
      'bridge',
    );
    const veths = status.pods
      .filter((p) => p.node === 'node1')
      .map((p) => p.hostVeth)
      .sort();
    expect(ports.map((p) => p.ifname).sort()).toEqual(veths);
    for (const port of ports) expect(port).toMatchObject({ master: 'cni0', hairpin: true, state: 'forwarding' });
    expect(await sysctl(node1, 'net.ipv4.ip_forward')).toBe('1');
    const [eth0] = await ipj<Array<{ addr_info: Array<{ local: string }> }>>(node1, ['addr', 'show', 'dev', 'eth0']);
    expect(eth0!.addr_info.map((a) => a.local)).toContain('192.168.19.13');
  });

  it('gives each pod eth0 with its address, MTU and default route, and lo up', async () => {
    const pod = ns('pod', 'pod4');
    const [eth0] = await ipj<Array<{ mtu: number; address: string; operstate: string; addr_info: Array<{ local: string; prefixlen: number }> }>>(pod, [
      '-4',
      'addr',
      'show',
      'dev',
      'eth0',
    ]);
    const expected = status.pods.find((p) => p.name === 'pod4')!;
    expect(eth0).toMatchObject({ mtu: 1450, operstate: 'UP' });
    const [link] = await ipj<Link[]>(pod, ['link', 'show', 'eth0']);
    expect(link!.address).toBe(expected.mac);
    expect(eth0!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.244.1.3/24']);
    expect(await ipj(pod, ['route', 'show', 'default'])).toEqual([expect.objectContaining({ dst: 'default', gateway: '10.244.1.1', dev: 'eth0' })]);
    const [lo] = await ipj<Link[]>(pod, ['link', 'show', 'lo']);
    expect(lo!.operstate).toBe('UNKNOWN'); // lo is "UNKNOWN" when up
    expect(await sysctl(pod, 'net.ipv4.conf.eth0.arp_notify')).toBe('1');
    // No IPv6 link-local address: nothing for the pod to probe, solicit or report over cni0 (src/lab/defaults.ts).
    expect(await ipj(pod, ['-6', 'addr', 'show', 'dev', 'eth0'])).toEqual([]);
  });

  it('pings within a node and across nodes', async () => {
    expect((await ping(ns('pod', 'pod1'), '10.244.0.3')).code).toBe(0);
    expect((await ping(ns('pod', 'pod1'), '10.244.1.3')).code).toBe(0);
    expect((await ping(ns('node', 'node2'), '10.244.0.2')).code).toBe(0);
  });

  it("fits 1422 bytes of ICMP in VXLAN's 1450 MTU and not 1423, with DF set", async () => {
    expect((await ping(ns('pod', 'pod1'), '10.244.1.3', ['-M', 'do', '-s', '1422'])).code).toBe(0);
    expect((await ping(ns('pod', 'pod1'), '10.244.1.3', ['-M', 'do', '-s', '1423'])).code).not.toBe(0);
  });

  it('serves container ports over TCP and UDP, answering with the pod name, without NAT', async () => {
    expect((await ask(ns('pod', 'pod1'), 'tcp', '10.244.1.3', 80)).stdout).toBe('pod4');
    expect((await ask(ns('pod', 'pod3'), 'udp', '10.244.0.3', 8081)).stdout).toBe('pod2');
    expect((await ask(ns('pod', 'pod1'), 'tcp', '10.244.1.3', 80, 'clientip')).stdout).toMatch(/^10\.244\.0\.2:\d+$/);
    expect((await ask(ns('pod', 'pod2'), 'tcp', '127.0.0.1', 80)).stdout).toBe('pod2');
  });

  it('does nothing when the same lab is brought up again', async () => {
    const again = await netlab(['up', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already up/);
  });

  it('refuses a different network under the same name and says what differs', async () => {
    const changed = await labFileAs('two-node', LAB);
    const { readFile, writeFile } = await import('node:fs/promises');
    await writeFile(changed, (await readFile(changed, 'utf8')).replace('address: 192.168.19.14', 'address: 192.168.19.15'));
    const r = await netlab(['up', changed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nodes[1].address: 192.168.19.14 → 192.168.19.15');
    expect(r.stderr).toContain('--recreate');
  });

  it('runs commands in a namespace and passes their exit code through', async () => {
    const r = await netlab(['exec', LAB, 'node1', '--', 'sh', '-c', 'ip -br link show flannel.1; exit 7']);
    expect(r.code).toBe(7);
    const bad = await netlab(['exec', LAB, 'node9', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no node or pod named "node9"');
  });

  it('reports status as JSON with namespaces, addresses, MACs and veths', () => {
    expect(status.nodes[0]).toMatchObject({ name: 'node1', netns: ns('node', 'node1'), address: '192.168.19.13', podSubnet: '10.244.0.0/24' });
    // flannel publishes the VTEP on the Node: it must be the MAC node2's neighbour and FDB entries use.
    const data = JSON.parse((status.nodes[0] as unknown as { annotations: Record<string, string> }).annotations['flannel.alpha.coreos.com/backend-data']!);
    expect(data).toEqual({ VNI: 1, VtepMAC: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/) });
    expect(status.pods[0]).toMatchObject({
      name: 'pod1',
      node: 'node1',
      netns: ns('pod', 'pod1'),
      ip: '10.244.0.2',
      mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
      hostVeth: expect.stringMatching(/^veth[0-9a-f]{8}$/),
    });
  });

  it('goes down completely: no namespace, process or state left', async () => {
    const pids = await processesOf(LAB);
    expect(pids.length).toBeGreaterThan(0); // the container runtime
    const r = await netlab(['down', LAB]);
    expect(r.code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(await stateDirExists(LAB)).toBe(false);
    expect((await netlab(['down', LAB])).code).toBe(0);
  });
});

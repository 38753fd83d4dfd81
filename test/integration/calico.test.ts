import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ipj, isRoot, labFileAs, netlab, netnsOf, ping, processesOf, testJson, writeLab, until, upForTests, buildByHand } from '../helpers/kernel.js';

const LAB = 'it-calico';
const VX = 'it-calico-vx';
const ns = (lab: string, kind: 'node' | 'pod', name: string) => `netlab.${lab}.${kind}.${name}`;

interface Route {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  flags?: string[];
  scope?: string;
}

/** Sessions as `netlab bgp LAB NODE show protocols` prints them: name → BIRD's info column. */
async function sessions(lab: string, node: string): Promise<Record<string, string>> {
  const r = await netlab(['bgp', lab, node, 'show', 'protocols']);
  expect(r.code, r.stderr).toBe(0);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+BGP\s+\S+\s+(\S+)\s+\S+\s*(.*)$/.exec(line.trimEnd());
    if (m) out[m[1]!] = `${m[2]} ${m[3]}`.trim();
  }
  return out;
}

const birdRoutes = async (lab: string, node: string) => (await ipj<Route[]>(ns(lab, 'node', node), ['route', 'show'])).filter((r) => r.protocol === 'bird');

describe.skipIf(!isRoot)('calico, encapsulation none, on the real kernel', () => {
  const labFile = upForTests('calico', LAB);

  it('wires pods as Calico does: a /32 on eth0, 169.254.1.1 as gateway, a cali veth with ee:ee:ee:ee:ee:ee and proxy ARP, no bridge', async () => {
    const addrs = await ipj<Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>>(ns(LAB, 'pod', 'pod1'), ['-4', 'addr', 'show', 'dev', 'eth0']);
    expect(addrs[0]!.addr_info).toEqual([expect.objectContaining({ local: '10.244.0.0', prefixlen: 32 })]);
    const podRoutes = await ipj<Route[]>(ns(LAB, 'pod', 'pod1'), ['route', 'show']);
    expect(podRoutes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dst: 'default', gateway: '169.254.1.1', dev: 'eth0' }),
        expect.objectContaining({ dst: '169.254.1.1', dev: 'eth0', scope: 'link' }),
      ]),
    );
    const links = await ipj<Array<{ ifname: string; address: string; linkinfo?: { info_kind: string } }>>(ns(LAB, 'node', 'node1'), ['-d', 'link', 'show']);
    expect(links.filter((l) => l.linkinfo?.info_kind === 'bridge')).toEqual([]);
    const calis = links.filter((l) => /^cali[0-9a-f]{11}$/.test(l.ifname));
    expect(calis).toHaveLength(2);
    for (const c of calis) {
      expect(c.address).toBe('ee:ee:ee:ee:ee:ee');
      const proxy = await execa('ip', ['netns', 'exec', ns(LAB, 'node', 'node1'), 'sysctl', '-n', `net.ipv4.conf.${c.ifname}.proxy_arp`]);
      expect(proxy.stdout.trim()).toBe('1');
    }
    const nodeRoutes = await ipj<Route[]>(ns(LAB, 'node', 'node1'), ['route', 'show']);
    expect(nodeRoutes).toContainEqual(expect.objectContaining({ dst: '10.244.0.0', dev: expect.stringMatching(/^cali/), scope: 'link' }));
  });

  it('every BGP session is Established, as birdc shows it through netlab', async () => {
    for (const node of ['node1', 'node2', 'node3']) {
      const s = await sessions(LAB, node);
      expect(Object.keys(s)).toHaveLength(2);
      for (const [name, info] of Object.entries(s)) expect(info, `${node} ${name}`).toMatch(/^up Established/);
    }
  });

  it('birdc names the protocols as on a Calico node: static1, kernel1, device1, direct1 and a Mesh_ session per peer', async () => {
    const out = await netlab(['bgp', LAB, 'node1', 'show', 'protocols']);
    expect(out.code, out.stderr).toBe(0);
    const names = out.stdout
      .split('\n')
      .slice(2)
      .map((l) => l.split(/\s+/)[0])
      .filter(Boolean);
    expect(names.sort()).toEqual(['Mesh_192_168_19_2', 'Mesh_192_168_19_3', 'device1', 'direct1', 'kernel1', 'static1']);
  });

  it('BIRD installed the blocks: a blackhole for its own, each other node’s via that node on eth0, proto bird', async () => {
    const routes = await birdRoutes(LAB, 'node1');
    expect(routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dst: '10.244.0.0/26', type: 'blackhole', protocol: 'bird' }),
        expect.objectContaining({ dst: '10.244.0.64/26', gateway: '192.168.19.2', dev: 'eth0', protocol: 'bird' }),
        expect.objectContaining({ dst: '10.244.0.128/26', gateway: '192.168.19.3', dev: 'eth0', protocol: 'bird' }),
      ]),
    );
    expect(routes).toHaveLength(3);
  });

  it('passes conformance', async () => {
    const { code, report, stderr } = await testJson(labFile());
    expect(code, stderr).toBe(0);
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThan(15);
  });

  it('a node whose BGP sessions go down loses the other nodes, trace names the session, status says so, and up brings it back', async () => {
    const off = await netlab(['bgp', LAB, 'node2', 'disable', '"Mesh_*"']);
    expect(off.code, off.stderr).toBe(0);
    // An administrative shutdown withdraws at once; the hold time (3 s) bounds the wait.
    await until('node1 to lose node2’s block', async () => !(await birdRoutes(LAB, 'node1')).some((r) => r.dst === '10.244.0.64/26'), 3_000);
    expect((await ping(ns(LAB, 'pod', 'pod1'), '10.244.0.64')).code).not.toBe(0);
    expect((await ping(ns(LAB, 'pod', 'pod4'), '10.244.0.64')).code).not.toBe(0);
    // pod1 and pod4 still reach each other: their nodes' session is up.
    expect((await ping(ns(LAB, 'pod', 'pod1'), '10.244.0.128')).code).toBe(0);

    const t = await netlab(['trace', LAB, 'pod1', 'pod3']);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(
      /node1\s+DROP\s+no route to 10\.244\.0\.64.*10\.244\.0\.64\/26, node node2's block.*BGP session Mesh_192_168_19_2 \(with node2\): that session is (Passive|Active|Idle|Connect)/,
    );

    const { code, report } = await testJson(labFile());
    expect(code).toBe(1);
    const failed = report.tests.filter((x) => x.status === 'failed').map((x) => x.name);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((n) => /pod3|node2/.test(n))).toBe(true);

    const status = JSON.parse((await netlab(['status', LAB, '--json'])).stdout);
    expect(status.status).toBe('damaged');
    expect(status.problems.join('\n')).toMatch(/node node2: BGP sessions Mesh_192_168_19_1 \(node node1\) is down \(disabled\)/);

    const up = await netlab(['up', labFile()]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/repaired/);
    for (const info of Object.values(await sessions(LAB, 'node2'))) expect(info).toMatch(/^up Established/);
    expect((await ping(ns(LAB, 'pod', 'pod1'), '10.244.0.64')).code).toBe(0);
  });

  it('a BIRD killed by hand is damage that up repairs', async () => {
    const pid = Number((await execa('cat', [`/run/netlab/${LAB}/bgp/node3.pid`])).stdout.trim());
    process.kill(pid, 'SIGKILL');
    await until('bird to end', async () => !(await processesOf(LAB)).includes(pid));
    const status = JSON.parse((await netlab(['status', LAB, '--json'])).stdout);
    expect(status.problems.join('\n')).toMatch(/node node3: bird is not running/);
    const up = await netlab(['up', labFile()]);
    expect(up.code, up.stderr).toBe(0);
    for (const info of Object.values(await sessions(LAB, 'node3'))) expect(info).toMatch(/^up Established/);
  });

  it('down leaves no bird, control socket or state behind', async () => {
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await processesOf(LAB)).toEqual([]);
    expect(await readdir(`/run/netlab/${LAB}`).catch(() => 'gone')).toBe('gone');
  });
});

describe.skipIf(!isRoot)('calico with VXLAN on the real kernel', () => {
  const labFile = upForTests('calico-vxlan', VX);

  it('routes other nodes’ blocks through vxlan.calico and drops the rest of its own with proto 80, as felix does; BIRD installs none', async () => {
    const routes = await ipj<Route[]>(ns(VX, 'node', 'node1'), ['route', 'show']);
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.244.0.64/26', gateway: '10.244.0.64', dev: 'vxlan.calico', flags: ['onlink'] }));
    // `blackhole 10.244.0.0/26 proto 80` (iproute2 has no name for felix's 80), as `ip route` shows on a Calico VXLAN node.
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.244.0.0/26', type: 'blackhole', protocol: '80' }));
    expect(await birdRoutes(VX, 'node1')).toEqual([]);
    const [dev] = await ipj<Array<{ mtu: number; linkinfo: { info_data: { id: number; port: number } } }>>(ns(VX, 'node', 'node1'), [
      '-d',
      'link',
      'show',
      'vxlan.calico',
    ]);
    expect(dev!.linkinfo.info_data).toMatchObject({ id: 4096, port: 4789 });
    expect(dev!.mtu).toBe(1450);
    for (const info of Object.values(await sessions(VX, 'node2'))) expect(info).toMatch(/^up Established/);
  });

  it('passes conformance', async () => {
    const { code, report, stderr } = await testJson(labFile());
    expect(code, stderr).toBe(0);
    expect(report.failed).toBe(0);
  });

  it("sees felix's blackhole gone or replaced by another owner's, and up puts proto 80 back", async () => {
    const node1 = ns(VX, 'node', 'node1');
    await execa('ip', ['-n', node1, 'route', 'replace', 'blackhole', '10.244.0.0/26', 'proto', 'static']);
    expect((await netlab(['status', VX])).stdout).toContain('node node1: blackhole 10.244.0.0/26 is proto 4, not 80');
    await execa('ip', ['-n', node1, 'route', 'del', 'blackhole', '10.244.0.0/26']);
    expect((await netlab(['status', VX])).stdout).toContain('node node1: blackhole 10.244.0.0/26 proto 80 is missing');
    expect((await netlab(['up', labFile()])).code).toBe(0);
    const routes = await ipj<Route[]>(node1, ['route', 'show', 'type', 'blackhole']);
    expect(routes).toEqual([expect.objectContaining({ dst: '10.244.0.0/26', protocol: '80' })]);
  });
});

describe.skipIf(!isRoot)('calico with a route reflector', () => {
  const RR = 'it-calico-rr';
  afterAll(async () => {
    await netlab(['down', RR]);
  });

  it('peers every node with the reflector only, and each still learns every block with its owner as next hop', async () => {
    const file = await writeLab(
      RR,
      `name: ${RR}\nnetwork:\n  backend: calico\n  calico: { routeReflector: node1, blockSize: 30 }\nnodes: [{ name: node1 }, { name: node2 }, { name: node3 }, { name: node4 }]\npods:\n  - name: p\n    replicas: 12\ntests:\n  - conformance: {}\n`,
    );
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
    expect(Object.keys(await sessions(RR, 'node2'))).toEqual(['Node_192_168_19_1']);
    expect(Object.keys(await sessions(RR, 'node1'))).toHaveLength(3);
    expect(await birdRoutes(RR, 'node2')).toContainEqual(expect.objectContaining({ dst: '10.244.0.8/30', gateway: '192.168.19.3', dev: 'eth0' }));
    const { code, report } = await testJson(file);
    expect(code).toBe(0);
    expect(report.failed).toBe(0);
  });
});

describe.skipIf(!isRoot)('SIGKILL of up while BGP converges, then down', () => {
  const KILL = 'it-calico-kill';
  afterAll(async () => {
    await netlab(['down', KILL]);
  });

  it('leaves no bird process, control socket, namespace or state', async () => {
    const file = await labFileAs('calico', KILL);
    const child = execa(process.execPath, ['bin/netlab.js', 'up', file], { reject: false, env: { CI: 'true' } });
    await until('BIRD to start', async () =>
      readdir(`/run/netlab/${KILL}/bgp`).then(
        (f) => f.some((x) => x.endsWith('.ctl')),
        () => false,
      ),
    );
    child.kill('SIGKILL');
    await child;
    const down = await netlab(['down', KILL]);
    expect(down.code, down.stderr).toBe(0);
    expect(await netnsOf(KILL)).toEqual([]);
    expect(await processesOf(KILL)).toEqual([]);
    expect(await readdir(`/run/netlab/${KILL}`).catch(() => 'gone')).toBe('gone');
  });
});

describe.skipIf(!isRoot || existsSync('/sys/module/ipip'))('calico with IP-in-IP on a kernel without it', () => {
  it('exits 3 naming the missing feature, and makes nothing', async () => {
    const lab = 'it-calico-ipip';
    const file = await writeLab(
      lab,
      `name: ${lab}\nnetwork:\n  backend: calico\n  calico: { encapsulation: ipip }\nnodes: [{ name: node1 }, { name: node2 }]\npods: [{ name: a }, { name: b }]\n`,
    );
    const r = await netlab(['up', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/CONFIG_NET_IPIP/);
    expect(await netnsOf(lab)).toEqual([]);
  });
});

describe.skipIf(!isRoot)('the plan of a calico lab, run by hand', () => {
  it('starts the BIRDs, waits for their sessions, and routes between nodes', async () => {
    const lab = 'it-calico-plan';
    try {
      await buildByHand('calico', lab);
      expect((await ping(ns(lab, 'pod', 'pod1'), '10.244.0.64')).code).toBe(0);
    } finally {
      await netlab(['down', lab]);
    }
  });
});

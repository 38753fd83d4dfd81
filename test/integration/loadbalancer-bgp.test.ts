import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { commandLines, isRoot, labFileAs, netlab, netnsOf, processesOf, testJson, until, writeLab } from '../helpers/kernel.js';

const LAB = 'it-lbgp';
const ext = `netlab.${LAB}.external`;
const WEB = '172.16.100.1';
const LOCAL = '172.16.100.2';
const node = { node1: '192.168.19.1', node2: '192.168.19.2', node3: '192.168.19.3' };

/** The router's routes as `ip -j route` gives them: destination to the sorted next hops, and the protocol that put each there. */
async function routerRoutes(): Promise<Record<string, { via: string[]; protocol: string | undefined }>> {
  type Route = { dst: string; protocol?: string; gateway?: string; nexthops?: Array<{ gateway: string }> };
  const routes = JSON.parse((await execa('ip', ['-j', '-n', ext, 'route', 'show'])).stdout) as Route[];
  return Object.fromEntries(
    routes.map((r) => [r.dst, { via: (r.nexthops?.map((h) => h.gateway) ?? (r.gateway ? [r.gateway] : [])).sort(), protocol: r.protocol }]),
  );
}

/** BIRD processes in a namespace of the lab, by their command line. */
async function birds(netns: string): Promise<number[]> {
  return (await commandLines(netns)).filter((c) => c.argv[0] === 'bird').map((c) => c.pid);
}

describe.skipIf(!isRoot)('LoadBalancer Services, MetalLB BGP', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('the router holds one /32 per Service: three next hops under Cluster, two under Local, and every endpoint answers', async () => {
    const file = await labFileAs('loadbalancer-bgp', LAB);
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
    const routes = await routerRoutes();
    expect(routes[WEB]).toEqual({ via: [node.node1, node.node2, node.node3], protocol: 'bird' });
    expect(routes[LOCAL]).toEqual({ via: [node.node1, node.node2], protocol: 'bird' });
    const { code, report } = await testJson(file);
    expect(code, JSON.stringify(report.tests.filter((t) => t.status === 'failed'))).toBe(0);
    // The speakers install nothing: kube-proxy, not a route or an address, serves the IP on a node.
    for (const n of Object.keys(node)) expect((await execa('ip', ['-n', `netlab.${LAB}.node.${n}`, 'route', 'show', 'proto', 'bird'])).stdout).toBe('');
    expect((await netlab(['status', LAB])).stdout).toMatch(/node1\s+peer_router\s+router \(192\.168\.19\.254\)\s+Established/);
    // trace names the route's origin and the spread, then follows the one next hop the kernel picks to kube-proxy's DNAT.
    const traced = await netlab(['trace', LAB, 'external', LOCAL, '--port', '80']);
    expect(traced.stdout).toContain("BGP route to 172.16.100.2/32 (web-local), announced by MetalLB's speakers on node1, node2");
    expect(traced.stdout).toContain('ECMP over 2 next hops');
    expect(traced.stdout).toMatch(/DNAT to 10\.244\./);
  });

  it('`netlab bgp LAB external show route` shows every path; a node refuses words that are not show or a switch', async () => {
    const shown = await netlab(['bgp', LAB, 'external', 'show', 'route', 'for', WEB, 'all']);
    expect(shown.code).toBe(0);
    for (const n of ['node_node1', 'node_node2', 'node_node3']) expect(shown.stdout).toContain(n);
    expect(shown.stdout).toContain('BGP.community: (64500,100)');
    expect(shown.stdout).toContain('BGP.as_path: 64500');
    const refused = await netlab(['bgp', LAB, 'external', 'configure', '"/etc/shadow"']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('is not allowed');
  });

  it("a node unplugged loses its path when the hold timer runs out; web-local then reaches only node2's pod; plugged back, the path returns", async () => {
    const file = await labFileAs('loadbalancer-bgp', LAB);
    expect((await netlab(['node', LAB, 'node1', 'down'])).code).toBe(0);
    await until('node1 to be withdrawn', async () => (await routerRoutes())[LOCAL]?.via.join() === node.node2, 10_000, 100);
    expect((await routerRoutes())[WEB]?.via).toEqual([node.node2, node.node3]);
    const status = await netlab(['status', LAB]);
    expect(status.stdout).toMatch(/node node1: BGP session peer_router \(the router\) is (Active|Connect|Idle)/);
    const text = readFileSync(file, 'utf8').replace(
      /^tests:[\s\S]*$/m,
      'tests:\n  - tcp: { from: external, to: 172.16.100.2, port: 80, endpoints: [web-1], sourceIP: preserved }\n',
    );
    const onlyNode2 = await writeLab(LAB, text);
    const { code, report } = await testJson(onlyNode2);
    expect(code, JSON.stringify(report.tests)).toBe(0);
    expect((await netlab(['node', LAB, 'node1', 'up'])).code).toBe(0);
    await until('node1 to announce again', async () => (await routerRoutes())[LOCAL]?.via.length === 2, 15_000, 100);
    expect((await testJson(file)).code).toBe(0);
  });

  it('a killed router is seen by status and restarted by up, which waits for every path', async () => {
    const file = await labFileAs('loadbalancer-bgp', LAB);
    const [pid] = await birds(ext);
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    await until('the router to be gone', async () => (await birds(ext)).length === 0, 5_000, 20);
    expect((await netlab(['status', LAB])).stdout).toContain('external: bird is not running');
    expect((await netlab(['up', file])).code).toBe(0);
    expect((await routerRoutes())[WEB]?.via).toHaveLength(3);
  });

  it('passes its tests in iptables mode', async () => {
    await netlab(['down', LAB]);
    const text = readFileSync('labs/loadbalancer-bgp.yaml', 'utf8')
      .replace(/^name: .*$/m, `name: ${LAB}`)
      .replace(/^nodes:/m, 'network:\n  kubeProxy: { mode: iptables }\nnodes:');
    const file = await writeLab(LAB, text);
    expect((await netlab(['up', file])).code).toBe(0);
    const { code, report } = await testJson(file);
    expect(code, JSON.stringify(report.tests.filter((t) => t.status === 'failed'))).toBe(0);
  });

  it('leaves no BIRD, namespace or file after SIGKILL of up while the sessions come up', async () => {
    await netlab(['down', LAB]);
    const file = await labFileAs('loadbalancer-bgp', LAB);
    const up = execa('node', ['bin/netlab.js', 'up', file], { reject: false });
    await until('the router to run', async () => (await birds(ext)).length > 0, 30_000, 10);
    up.kill('SIGKILL');
    await up;
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await processesOf(LAB)).toEqual([]);
  });
});

import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { upAndPass, commandLines, inNetns, isRoot, labFileAs, netlab, netnsOf, processesOf, testJson, until, writeLab } from '../helpers/kernel.js';

const LAB = 'it-lb';
const ext = `netlab.${LAB}.external`;
const nodeNs = (n: string) => `netlab.${LAB}.node.${n}`;
const WEB = '192.168.19.240';

async function macOf(node: string): Promise<string> {
  const [link] = JSON.parse((await execa('ip', ['-j', '-n', nodeNs(node), 'link', 'show', 'dev', 'eth0'])).stdout) as Array<{ address: string }>;
  return link!.address;
}

/** What the outside client's neighbour table holds for an address now, without asking again. */
async function clientEntry(ip: string): Promise<string | undefined> {
  const shown = JSON.parse((await execa('ip', ['-j', '-n', ext, 'neigh', 'show', 'to', ip])).stdout || '[]') as Array<{ lladdr?: string }>;
  return shown[0]?.lladdr;
}

/** The client resolves the address as any sender does (the echo itself goes unanswered: only Service ports answer). */
async function talkTo(ip: string): Promise<void> {
  await execa('ip', ['netns', 'exec', ext, 'ping', '-c', '1', '-W', '1', ip], { reject: false });
}

/** The speaker processes of one node: its namespace's processes that run netlab-speaker.py. */
async function speakerPids(node: string): Promise<number[]> {
  return (await commandLines(nodeNs(node))).filter((c) => c.argv.some((a) => a.endsWith('netlab-speaker.py'))).map((c) => c.pid);
}

/** An HTTP GET from the outside client, by Python's standard library: the status code. */
async function httpStatus(ip: string, port: number): Promise<number> {
  const script = `import http.client,sys
c=http.client.HTTPConnection(sys.argv[1],int(sys.argv[2]),timeout=3)
c.request("GET","/healthz")
print(c.getresponse().status)`;
  return Number((await inNetns(ext, ['python3', '-c', script, ip, String(port)])).stdout.trim());
}

/** trace reads the firewall as the kernel applies it: the outside client is outside web-office's ranges, web lets it through. */
async function expectFirewallTrace(): Promise<void> {
  const blocked = await netlab(['trace', LAB, 'external', '192.168.19.242', '--port', '80']);
  expect(blocked.stdout).toContain("kube-proxy drops 192.168.19.242:80/tcp: 192.168.19.254 is outside the Service's loadBalancerSourceRanges (10.10.0.0/16)");
  expect(blocked.stdout).toContain('the packet does not arrive');
  const open = await netlab(['trace', LAB, 'external', WEB, '--port', '80']);
  expect(open.stdout).toContain('DNAT to 10.244.');
}

describe.skipIf(!isRoot)('LoadBalancer Services, MetalLB L2', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('passes its tests, in nftables mode', async () => {
    await upAndPass('loadbalancer-l2', LAB);
    // No interface holds a LoadBalancer IP: the speaker answers ARP for it.
    for (const n of ['node1', 'node2', 'node3']) expect((await execa('ip', ['-n', nodeNs(n), 'addr', 'show'])).stdout).not.toContain('192.168.19.24');
    await expectFirewallTrace();
  });

  it("answers kube-proxy's health check port: 200 where web-local has an endpoint, 503 where not", async () => {
    expect(await httpStatus('192.168.19.1', 30002)).toBe(200);
    expect(await httpStatus('192.168.19.2', 30002)).toBe(200);
    expect(await httpStatus('192.168.19.3', 30002)).toBe(503);
  });

  it("moves web's IP when its node is unplugged, with MetalLB's gratuitous ARP, and back when plugged in", async () => {
    const file = await labFileAs('loadbalancer-l2', LAB);
    const [node2, node3] = [await macOf('node2'), await macOf('node3')];
    expect((await testJson(file, ['--only', 'node3 answers ARP for web (first by sha256 among the three, endpoint or not)'])).code).toBe(0);
    expect(await clientEntry(WEB)).toBe(node3);
    // Every ARP frame that says WEB is at node2, from unplugging to well past the five rounds.
    const capture = execa('ip', ['netns', 'exec', ext, 'tcpdump', '-nn', '-e', '-l', '-i', 'eth0', 'arp', 'and', 'ether', 'src', node2], {
      reject: false,
      timeout: 8000,
    });
    await new Promise((r) => setTimeout(r, 500));
    expect((await netlab(['node', LAB, 'node3', 'down'])).code).toBe(0);
    // The client's entry follows the gratuitous ARP: nobody asked again.
    await until('the client to learn node2 for web', async () => (await clientEntry(WEB)) === node2, 10_000, 20);
    const frames = (await capture).stdout.split('\n').filter((l) => l.includes(`tell ${WEB}`) || l.includes(`${WEB} is-at`));
    // MetalLB's schedule: a request and a reply, broadcast, at 0, 1.1, 2.2, 3.3 and 4.4 s.
    expect(frames.filter((l) => l.includes('Request who-has') && l.includes('ff:ff:ff:ff:ff:ff'))).toHaveLength(5);
    expect(frames.filter((l) => l.includes('Reply') && l.includes('ff:ff:ff:ff:ff:ff'))).toHaveLength(5);
    const moved = await testJson(file, ['--only', 'web answers the outside client on its LoadBalancer IP, masqueraded']);
    expect(moved.code, JSON.stringify(moved.report.tests)).toBe(0);
    // netlab test empties the client's neighbour cache between rounds; a gratuitous ARP updates an entry, never makes one.
    await talkTo(WEB);
    expect(await clientEntry(WEB)).toBe(node2);
    expect((await netlab(['node', LAB, 'node3', 'up'])).code).toBe(0);
    // node3 hears its peers again and re-announces: the client comes back without asking.
    await until('the client to learn node3 again', async () => (await clientEntry(WEB)) === node3, 10_000, 20);
  });

  it("moves web's IP when node3's speaker is killed, and `up` starts the speaker again", async () => {
    const file = await labFileAs('loadbalancer-l2', LAB);
    await talkTo(WEB);
    expect(await clientEntry(WEB)).toBe(await macOf('node3'));
    const [pid] = await speakerPids('node3');
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    await until('the client to learn node2 for web', async () => (await clientEntry(WEB)) === (await macOf('node2')), 10_000, 20);
    const status = await netlab(['status', LAB]);
    expect(status.stdout).toContain('node node3: the MetalLB speaker is not running');
    expect((await netlab(['up', file])).code).toBe(0);
    expect(await speakerPids('node3')).toHaveLength(1);
    await until('node3 to answer for web again', async () => (await clientEntry(WEB)) === (await macOf('node3')), 10_000, 20);
  });

  it("conformance runs kube-proxy's LoadBalancer cases, and fails them when the firewall is gone", async () => {
    const text = readFileSync('labs/loadbalancer-l2.yaml', 'utf8')
      .replace(/^name: .*$/m, `name: ${LAB}`)
      .replace(/^tests:[\s\S]*$/m, 'tests:\n  - conformance: {}\n');
    const file = await writeLab(LAB, text);
    const lbCases = (report: Awaited<ReturnType<typeof testJson>>['report']) => report.tests.filter((t) => t.name.includes('loadbalancer IP'));
    const before = await testJson(file);
    expect(before.code, JSON.stringify(before.report.tests.filter((t) => t.status === 'failed'))).toBe(0);
    expect(lbCases(before.report).map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'conformance: external → 192.168.19.240:80/tcp (service/web loadbalancer IP)',
        'conformance: external → 192.168.19.241:80/tcp (service/web-local loadbalancer IP, Local)',
        'conformance: external → 192.168.19.242:80/tcp (service/web-office loadbalancer IP): outside loadBalancerSourceRanges, dropped',
        'conformance: pod web-0 → 192.168.19.242:80/tcp (service/web-office loadbalancer IP): the pod is outside loadBalancerSourceRanges, dropped',
      ]),
    );
    // Broken on purpose: no node checks loadBalancerSourceRanges any more.
    for (const n of ['node1', 'node2', 'node3']) await execa('ip', ['netns', 'exec', nodeNs(n), 'nft', 'flush', 'chain', 'ip', 'kube-proxy', 'firewall-check']);
    const after = await testJson(file);
    expect(after.code).not.toBe(0);
    expect(
      lbCases(after.report)
        .filter((t) => t.status === 'failed')
        .map((t) => t.name),
    ).toEqual([
      'conformance: external → 192.168.19.242:80/tcp (service/web-office loadbalancer IP): outside loadBalancerSourceRanges, dropped',
      'conformance: pod web-0 → 192.168.19.242:80/tcp (service/web-office loadbalancer IP): the pod is outside loadBalancerSourceRanges, dropped',
    ]);
    expect((await netlab(['up', await labFileAs('loadbalancer-l2', LAB)])).code).toBe(0);
  });

  it('passes its tests in iptables mode', async () => {
    await netlab(['down', LAB]);
    const text = readFileSync('labs/loadbalancer-l2.yaml', 'utf8')
      .replace(/^name: .*$/m, `name: ${LAB}`)
      .replace(/^nodes:/m, 'network:\n  kubeProxy: { mode: iptables }\nnodes:');
    const file = await writeLab(LAB, text);
    expect((await netlab(['up', file])).code).toBe(0);
    const { code, report } = await testJson(file);
    expect(code, JSON.stringify(report.tests.filter((t) => t.status === 'failed'))).toBe(0);
    // As iptables-save prints them back: the LoadBalancer IP captured to the external chain, the firewall's drop.
    const save = (await execa('ip', ['netns', 'exec', nodeNs('node1'), 'iptables-save'])).stdout.split('\n');
    expect(
      save.some((l) => l.startsWith('-A KUBE-SERVICES -d 192.168.19.240/32') && l.includes('"default/web loadbalancer IP"') && /-j KUBE-EXT-\w{16}$/.test(l)),
    ).toBe(true);
    expect(
      save.some((l) => l.startsWith('-A KUBE-PROXY-FIREWALL -d 192.168.19.242/32') && l.includes('traffic not accepted by KUBE-FW-') && l.endsWith('-j DROP')),
    ).toBe(true);
    await expectFirewallTrace();
  });

  it('leaves no speaker, namespace or file after SIGKILL of up while the speakers start', async () => {
    await netlab(['down', LAB]);
    const file = await labFileAs('loadbalancer-l2', LAB);
    const up = execa('node', ['bin/netlab.js', 'up', file], { reject: false });
    await until('a speaker to run', async () => (await speakerPids('node1').catch(() => [])).length > 0, 30_000, 10);
    up.kill('SIGKILL');
    await up;
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await processesOf(LAB)).toEqual([]);
  });
});

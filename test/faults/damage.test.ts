import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { ipj, isRoot, labFileAs, netlab, netnsOf, until, writeLab } from '../helpers/kernel.js';

const LAB = 'it-damage';
const node1 = `netlab.${LAB}.node.node1`;
const node2 = `netlab.${LAB}.node.node2`;

interface Status {
  status: string;
  problems: string[];
  nodes: Array<{ name: string; annotations: Record<string, string> }>;
}

async function status(): Promise<Status> {
  const r = await netlab(['status', '--json', LAB]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

interface Observed {
  observed: { namespacesRead: number; unchanged: number; watcher: string };
}

async function observed(...args: string[]): Promise<Status & Observed> {
  const r = await netlab(['status', '--json', LAB, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status & Observed;
}

async function stateOf(): Promise<{ agentPid: number; watcherPid?: number }> {
  return JSON.parse(await readFile(`/run/netlab/${LAB}/state.json`, 'utf8')) as { agentPid: number; watcherPid?: number };
}

/** The processes in the lab's fabric namespace: the container runtime and the watcher. */
async function fabricPids(): Promise<number[]> {
  const r = await execa('ip', ['netns', 'pids', `netlab.${LAB}.fabric`]);
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

async function ifindex(netns: string, dev: string): Promise<number> {
  return (await ipj<Array<{ ifindex: number }>>(netns, ['link', 'show', dev]))[0]!.ifindex;
}

/**
 * Damage done by hand to a running lab: `status` must name each difference
 * between the kernel and the plan, and `up` must repair exactly what differs.
 */
describe.skipIf(!isRoot)('a damaged lab is seen and repaired', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('a deleted flannel.1: status names it, up rebuilds it and nothing else', async () => {
    const file = await labFileAs('two-node', LAB);
    expect((await netlab(['up', '--watch', file])).code).toBe(0);
    const untouched = await ifindex(node1, 'cni0');
    await execa('ip', ['-n', node1, 'link', 'del', 'flannel.1']);

    const s = await status();
    expect(s.status).toBe('damaged');
    expect(s.problems).toContain('node node1: link flannel.1 is missing');
    // flanneld publishes the VTEP MAC of a device that exists: none now.
    expect(s.nodes.find((n) => n.name === 'node1')!.annotations).not.toHaveProperty(['flannel.alpha.coreos.com/backend-data']);
    // A conformance gate tests the lab as it is: it says what differs, and the cross-node cases fail.
    const broken = await netlab(['test', file]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/differs from its plan; testing it as it is[\s\S]*node node1: link flannel.1 is missing/);
    const up = await netlab(['up', file]);
    expect(up.stdout).toMatch(/was damaged and is repaired/);
    expect((await status()).status).toBe('up');
    expect((await netlab(['test', file])).code).toBe(0);
    expect(await ifindex(node1, 'cni0')).toBe(untouched);
  });

  it('after up repairs it, status is clean and the routes are back', async () => {
    const file = await labFileAs('two-node', LAB);
    await execa('ip', ['-n', node2, 'link', 'del', 'flannel.1']);
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/was damaged and is repaired/);
    expect(up.stdout).toContain('node node2: link flannel.1 is missing');
    const routes = await ipj<Array<{ dst: string; dev: string }>>(node2, ['route', 'show', 'dev', 'flannel.1']);
    expect(routes.map((r) => r.dst)).toEqual(['10.244.0.0/24']);
    expect((await status()).problems).toEqual([]);
    expect((await netlab(['up', file])).stdout).toMatch(/already up .*nothing to do/);
  });

  it('a killed container runtime is reported, and up starts it again', async () => {
    const file = await labFileAs('two-node', LAB);
    const { agentPid } = await stateOf();
    expect(await fabricPids()).toContain(agentPid);
    process.kill(agentPid, 'SIGKILL');
    await until('the runtime to end', async () => !(await fabricPids()).includes(agentPid));
    expect((await status()).problems).toContain('the container runtime is not running: pod ports are not served');
    const up = await netlab(['up', file]);
    expect(up.stdout).toMatch(/container runtime is not running/);
    const t = await netlab(['test', file, '--only', 'tcp']);
    expect(t.code, t.stdout).toBe(0);
  });

  it('a link and a sysctl changed by hand are put back as planned', async () => {
    const file = await labFileAs('two-node', LAB);
    await execa('ip', ['-n', node2, 'link', 'set', 'cni0', 'mtu', '1300']);
    await execa('ip', ['netns', 'exec', node1, 'sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    await execa('ip', ['-n', `netlab.${LAB}.pod.pod1`, 'link', 'set', 'eth0', 'addrgenmode', 'eui64']);
    const problems = (await status()).problems;
    expect(problems).toContain('node node2: link cni0 has MTU 1300, not 1450');
    expect(problems).toContain('node node1: sysctl net.ipv4.ip_forward is 0, not 1');
    expect(problems).toContain('pod pod1: eth0 has IPv6 addrgenmode eui64, not none');
    expect((await netlab(['up', file])).code).toBe(0);
    expect((await status()).problems).toEqual([]);
    expect((await netlab(['test', file])).code).toBe(0);
  });

  it('status reads only the pods the watcher says changed, and finds their damage', async () => {
    const file = await labFileAs('two-node', LAB);
    expect((await netlab(['up', file])).code).toBe(0);
    const clean = await observed();
    expect(clean.problems).toEqual([]);
    // Two nodes and the fabric are read every time; the four pods are vouched for.
    expect(clean.observed).toEqual({ namespacesRead: 3, unchanged: 4, watcher: 'answered: 0 of 4 changed' });
    await execa('ip', ['-n', `netlab.${LAB}.pod.pod2`, 'route', 'del', 'default']);
    // arp_notify written by hand: the kernel notifies nobody, the watcher compares eth0's settings.
    await execa('ip', ['netns', 'exec', `netlab.${LAB}.pod.pod3`, 'sysctl', '-qw', 'net.ipv4.conf.eth0.arp_notify=0']);
    const damaged = await observed();
    expect(damaged.observed).toEqual({ namespacesRead: 5, unchanged: 2, watcher: 'answered: 2 of 4 changed' });
    expect(damaged.problems).toContain('pod pod2: route default via 10.244.0.1 dev eth0 is missing');
    expect(damaged.problems).toContain('pod pod3: sysctl net.ipv4.conf.eth0.arp_notify is 0, not 1');
    // Read whole, the lab says the same.
    expect((await observed('--full')).problems).toEqual(damaged.problems);
    const up = await netlab(['up', file]);
    expect(up.stdout).toMatch(/was damaged and is repaired/);
    // The repair is the new baseline.
    expect((await observed()).observed).toMatchObject({ unchanged: 4 });
  });

  it('with its watcher killed, status reads everything (and still sees damage), and up starts it again', async () => {
    const file = await labFileAs('two-node', LAB);
    const watcherPid = (await stateOf()).watcherPid!;
    process.kill(watcherPid, 'SIGKILL');
    await until('the watcher to end', async () => !(await fabricPids()).includes(watcherPid));
    await execa('ip', ['-n', `netlab.${LAB}.pod.pod4`, 'addr', 'flush', 'dev', 'eth0']);
    const s = await observed();
    expect(s.observed).toEqual({ namespacesRead: 7, unchanged: 0, watcher: 'not running' });
    expect(s.problems).toContain('pod pod4: address 10.244.1.3/24 on eth0 is missing');
    expect((await netlab(['up', file])).code).toBe(0);
    expect((await stateOf()).watcherPid).not.toBe(watcherPid);
    expect((await observed()).observed).toEqual({ namespacesRead: 3, unchanged: 4, watcher: 'answered: 0 of 4 changed' });
  });

  it('a dead watcher alone is no damage: up starts it again and says nothing to do', async () => {
    const file = await labFileAs('two-node', LAB);
    const watcherPid = (await stateOf()).watcherPid!;
    process.kill(watcherPid, 'SIGKILL');
    await until('the watcher to end', async () => !(await fabricPids()).includes(watcherPid));
    expect((await observed()).status).toBe('up');
    expect((await netlab(['up', file])).stdout).toMatch(/already up .*nothing to do/);
    expect((await observed()).observed.watcher).toBe('answered: 0 of 4 changed');
  });

  it('up --no-watch ends the watcher, and status then reads everything; a plain up keeps none, up --watch starts one', async () => {
    const file = await labFileAs('two-node', LAB);
    const { watcherPid } = await stateOf();
    expect((await netlab(['up', '--no-watch', file])).stdout).toMatch(/already up .*nothing to do/);
    expect(await fabricPids()).not.toContain(watcherPid);
    expect((await stateOf()).watcherPid).toBeUndefined();
    const none = { namespacesRead: 7, unchanged: 0, watcher: 'none started (`up` starts one from 4,000 pods, or with --watch)' };
    expect((await observed()).observed).toEqual(none);
    // Four pods are read in a blink: a plain up of a small lab starts no watcher of its own accord.
    expect((await netlab(['up', file])).stdout).toMatch(/already up .*nothing to do/);
    expect((await observed()).observed).toEqual(none);
    expect((await netlab(['up', '--watch', file])).code).toBe(0);
    expect((await observed()).observed).toMatchObject({ namespacesRead: 3, unchanged: 4 });
  });

  it('up --recreate rebuilds from nothing even when all is well', async () => {
    const file = await labFileAs('two-node', LAB);
    const before = await netnsOf(LAB);
    // A mark only the old namespace holds (its inode number may be reused by the new one: the kernel recycles them).
    await execa('ip', ['-n', node1, 'link', 'add', 'mark0', 'type', 'veth', 'peer', 'name', 'mark1']);
    const r = await netlab(['up', '--recreate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/is up: 2 nodes/);
    expect(await netnsOf(LAB)).toEqual(before);
    expect((await execa('ip', ['-n', node1, 'link', 'show', 'mark0'], { reject: false })).exitCode).not.toBe(0);
  });
});

/** What status names of a lab's damage, without its closing hint (`netlab up` repairs …). */
async function namedDamage(lab: string): Promise<string[]> {
  const r = await netlab(['status', '--json', lab]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Status).problems.filter((p) => !p.startsWith('`netlab up` repairs'));
}

/** The handle of the first rule of a chain whose listing line matches. */
async function ruleHandle(netns: string, table: string, chain: string, match: RegExp): Promise<string> {
  const [family, name] = table.split(' ');
  const text = String((await execa('ip', ['netns', 'exec', netns, 'nft', '-a', 'list', 'chain', family!, name!, chain])).stdout);
  const line = text.split('\n').find((l) => match.test(l));
  if (!line) throw new Error(`no rule matching ${match} in ${chain}:\n${text}`);
  return /# handle (\d+)/.exec(line)![1]!;
}

/** The name of the first chain of a table whose name matches. */
async function chainNamed(netns: string, table: string, match: RegExp): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', ...table.split(' ')]);
  const items = (JSON.parse(String(r.stdout)) as { nftables: Array<{ chain?: { name: string } }> }).nftables;
  return items.flatMap((i) => (i.chain && match.test(i.chain.name) ? [i.chain.name] : []))[0]!;
}

/**
 * Damage that changes packets while every chain and rule count stays as
 * planned (issue #23): status said healthy. Each is now named rule by rule,
 * and up repairs it.
 */
describe.skipIf(!isRoot)('firewall damage that keeps the counts', () => {
  const lab = 'it-damage-rules';
  const node1 = `netlab.${lab}.node.node1`;
  let file = '';
  const problems = () => namedDamage(lab);
  const repaired = async (what: RegExp) => {
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(what);
    expect(await problems()).toEqual([]);
  };
  afterAll(async () => {
    await netlab(['down', lab]);
  });

  it('an endpoint rule replaced in place: status names the chain, the rule and both DNATs; up puts it back', async () => {
    file = await writeLab(
      lab,
      `name: ${lab}
nodes: [{ name: node1 }, { name: node2 }]
pods:
  - { name: web, replicas: 2, labels: { app: web }, containers: [{ name: c, listen: [80/tcp] }] }
  - { name: client, labels: { app: client } }
services:
  - { name: web, selector: { app: web }, ports: [{ port: 80 }] }
policies:
  - { name: web-from-client, spec: { podSelector: { matchLabels: { app: web } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: client } } }] }] } }
`,
    );
    expect((await netlab(['up', file])).code).toBe(0);
    expect(await problems()).toEqual([]);
    const chain = await chainNamed(node1, 'ip kube-proxy', /^endpoint-/);
    const handle = await ruleHandle(node1, 'ip kube-proxy', chain, /dnat to/);
    await execa('ip', [
      'netns',
      'exec',
      node1,
      'nft',
      'replace',
      'rule',
      'ip',
      'kube-proxy',
      chain,
      'handle',
      handle,
      'meta',
      'l4proto',
      'tcp',
      'dnat',
      'to',
      '10.240.0.250:80',
    ]);
    const said = await problems();
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      new RegExp(
        `^node node1: table ip kube-proxy: chain ${chain.replace(/[/.]/g, '\\$&')} rule \\d+: meta l4proto tcp dnat to 10\\.240\\.0\\.250:80, planned meta l4proto tcp dnat to 10\\.244\\.\\d+\\.\\d+:\\d+$`,
      ),
    );
    await repaired(/dnat to 10\.240\.0\.250:80/);
  });

  it('a policy drop replaced by accept is named, and up puts the drop back', async () => {
    const chain = await chainNamed(node1, 'ip netlab-policy', /^ingress-/);
    const handle = await ruleHandle(node1, 'ip netlab-policy', chain, /\bdrop comment/);
    await execa('ip', ['netns', 'exec', node1, 'nft', 'replace', 'rule', 'ip', 'netlab-policy', chain, 'handle', handle, 'accept']);
    const said = await problems();
    expect(said[0]).toMatch(/table ip netlab-policy: chain ingress-\S+ rule \d+: accept, planned drop comment "/);
    await repaired(/accept, planned drop/);
  });

  it('a table of someone else’s that DNATs a ClusterIP first (priority -150) is named, and up deletes it', async () => {
    await execa('ip', ['netns', 'exec', node1, 'nft', '-f', '-'], {
      input: 'table ip evil {\n  chain pre { type nat hook prerouting priority -150; ip daddr 10.96.0.0/12 dnat to 10.240.0.250; }\n}\n',
    });
    expect(await problems()).toEqual(['node node1: nftables table ip evil is not planned (netlab did not make it; `netlab up` deletes it)']);
    await repaired(/table ip evil is not planned/);
    const tables = String((await execa('ip', ['netns', 'exec', node1, 'nft', 'list', 'tables'])).stdout);
    expect(tables).not.toContain('evil');
  });
});

/**
 * Damage to a pod that status could not see (issue #23), on a pod the
 * watcher vouches for: each must make status read it, be named, and be
 * repaired by up. (netem is not in every kernel: a tbf qdisc stands for it.)
 */
describe.skipIf(!isRoot)('pod damage that changes packets', () => {
  const lab = 'it-damage-pod';
  const pod = `netlab.${lab}.pod.client`;
  let file = '';
  const problems = () => namedDamage(lab);
  afterAll(async () => {
    await netlab(['down', lab]);
  });

  it.each([
    ['eth0 MTU 1400', ['ip', '-n', pod, 'link', 'set', 'eth0', 'mtu', '1400'], /the peer eth0 of veth\w+ in pod client has MTU 1400, not 1450/],
    ['ARP off on eth0', ['ip', '-n', pod, 'link', 'set', 'eth0', 'arp', 'off'], /^pod client: link eth0 has ARP off$/],
    [
      'a blackhole to another node’s pods',
      ['ip', '-n', pod, 'route', 'add', 'blackhole', '10.244.1.0/25'],
      /^pod client: route blackhole 10\.244\.1\.0\/25 is not planned$/,
    ],
    [
      'a route in table 100',
      ['ip', '-n', pod, 'route', 'add', '10.9.0.0/16', 'dev', 'eth0', 'table', '100'],
      /^pod client: route 10\.9\.0\.0\/16 dev eth0 table 100 is not planned$/,
    ],
    [
      'a qdisc on eth0',
      ['ip', 'netns', 'exec', pod, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '1kbit', 'burst', '1600', 'latency', '1ms'],
      /^pod client: qdisc tbf on eth0 is not planned$/,
    ],
    [
      'a drop-all nftables table',
      ['ip', 'netns', 'exec', pod, 'nft', 'add table ip dropall; add chain ip dropall in { type filter hook input priority 0; policy drop; }'],
      /^pod client: nftables table ip dropall is not planned/,
    ],
    ['resolv.conf edited', ['sh', '-c', `echo nameserver 8.8.8.8 > /etc/netns/${pod}/resolv.conf`], /^file \/etc\/netns\/.*\/resolv\.conf was changed/],
    ['resolv.conf deleted', ['rm', `/etc/netns/${pod}/resolv.conf`], /^file \/etc\/netns\/.*\/resolv\.conf is missing$/],
  ])('%s: status names it on a watched pod, and up repairs it', async (_, damage, said) => {
    if (!file) {
      file = await labFileAs('dns', lab);
      expect((await netlab(['up', '--watch', file])).code).toBe(0);
    }
    expect(await problems()).toEqual([]);
    await execa(damage[0]!, damage.slice(1));
    const named = await problems();
    expect(
      named.some((p) => said.test(p)),
      named.join('\n'),
    ).toBe(true);
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/was damaged and is repaired/);
    expect(await problems()).toEqual([]);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, netlab, netnsOf } from '../helpers/kernel.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `netlab validate` must answer at once with exit 2 and one clear line; the test timeout catches a hang. */
async function refused(file: string, why: RegExp): Promise<void> {
  const r = await netlab(['validate', file]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(why);
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  expect(r.stderr.length).toBeLessThan(2000);
}

describe('files that are not lab files are refused before they are read', () => {
  it('a FIFO returns at once with exit 2 (it used to block forever)', async () => {
    const fifo = join(dir, 'lab.fifo');
    execFileSync('mkfifo', [fifo]);
    await refused(fifo, /not a regular file/);
  }, 5_000);

  it.each(['/dev/urandom', '/dev/zero', '/dev/null'])(
    '%s is refused',
    async (device) => {
      await refused(device, /not a regular file/);
    },
    5_000,
  );

  it('a directory is refused', async () => {
    await refused(dir, /is a directory/);
  }, 5_000);

  it('a 40 MB file of two million nodes is refused by its size, not parsed', async () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `name: huge\nnodes:\n${'  - {name: n}\n'.repeat(2_000_000).slice(0, 40_000_000)}`);
    await refused(file, /larger than a lab file may be \(1048576 bytes\)/);
  }, 5_000);

  it('200 entries of replicas: 5000 are refused from the counts alone', async () => {
    const file = join(dir, 'bomb.yaml');
    writeFileSync(file, `name: bomb\nnodes: [{name: node1}]\npods:\n${Array.from({ length: 200 }, (_, i) => `  - {name: p${i}, replicas: 5000}\n`).join('')}`);
    await refused(file, /asks for 1000000 pods, more than netlab builds \(10000\)/);
  }, 5_000);

  it('a file of 10,000 bad entries prints a bounded report', async () => {
    const file = join(dir, 'flood.yaml');
    writeFileSync(file, `name: flood\nnodes: [{name: node1}]\npods:\n${'  - {name: "Bad Name"}\n'.repeat(10_000)}`);
    const r = await netlab(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').length).toBe(51);
    expect(r.stderr).toMatch(/… and \d+ more problems/);
  }, 10_000);
});

describe.skipIf(!isRoot)('a hostile capture filter', () => {
  it('cannot make `netlab test` write a file (it once wrote any path as root)', async () => {
    const victim = join(dir, 'victim');
    const file = join(dir, 'it-capture-w.yaml');
    writeFileSync(
      file,
      `name: it-capture-w\nnodes: [{name: node1}]\npods: [{name: p}, {name: q}]\ntests:\n  - capture: {on: node1:cni0, filter: "-w${victim}", while: {tcp: {from: p, to: q, port: 80}}}\n`,
    );
    const r = await netlab(['test', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/tests\[0\]\.capture\.filter: .* not valid/);
    expect(existsSync(victim)).toBe(false);
    expect(await netnsOf('it-capture-w')).toEqual([]);
  });
});

describe.skipIf(!isRoot)('a conflist that names a program by path (it once ran /bin/sh as root)', () => {
  const pwned = '/tmp/netlab-hostile-pwned';

  it.each(['flannel-delegate-sh', 'ipam-path'])('test/fixtures/hostile/%s.yaml: validate and test exit 2 and nothing runs', async (name) => {
    rmSync(pwned, { force: true });
    const file = `test/fixtures/hostile/${name}.yaml`;
    const v = await netlab(['validate', file]);
    expect(v.code, v.stderr).toBe(2);
    expect(v.stderr).toMatch(
      new RegExp(`^/\\S*test/fixtures/hostile/${name}\\.conflist:\\d+:\\d+: plugins\\[0\\]\\.(delegate|ipam)\\.type: must name a plugin binary`),
    );
    const t = await netlab(['test', file]);
    expect(t.code, t.stderr).toBe(2);
    expect(existsSync(pwned)).toBe(false);
    expect(await netnsOf(name === 'ipam-path' ? 'hostile-ipam' : 'hostile-delegate')).toEqual([]);
  });
});

describe.skipIf(!isRoot)('a CNI plugin directory under a directory others may write', () => {
  it('--cni-path is refused when an ancestor is world-writable, though the directory itself is root 0755', async () => {
    const open = join(dir, 'open');
    const plugins = join(open, 'plugins');
    execFileSync('mkdir', ['-p', plugins]);
    execFileSync('chmod', ['0777', open]);
    execFileSync('chmod', ['0755', plugins]);
    execFileSync('cp', ['/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/usr/lib/cni/loopback', plugins]);
    const conflist = join(dir, 'weak.conflist');
    writeFileSync(conflist, '{"name":"weak","cniVersion":"1.0.0","plugins":[{"type":"flannel"}]}');
    const file = join(dir, 'it-weak-cni.yaml');
    writeFileSync(file, `name: it-weak-cni\nnetwork:\n  cni: { conflist: weak.conflist, path: [${plugins}] }\nnodes: [{name: node1}]\npods: [{name: a}]\n`);
    const r = await netlab(['up', file, '--cni-path', plugins]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/ancestor .*\/open is writable by others/);
    expect(await netnsOf('it-weak-cni')).toEqual([]);
  });
});

describe.skipIf(!isRoot)('a conflist whose IPAM keeps its store elsewhere', () => {
  it('keeps host-local’s reservations under the lab, and down removes them (they went to dataDir, or /var/lib/cni/networks)', async () => {
    const store = join(dir, 'ipam-store');
    const conflist = join(dir, 'store.conflist');
    writeFileSync(
      conflist,
      JSON.stringify({
        name: 'it-ipam-store-net',
        cniVersion: '1.0.0',
        plugins: [{ type: 'bridge', bridge: 'cni0', isGateway: true, ipam: { type: 'host-local', dataDir: store, subnet: '10.244.0.0/24' } }],
      }),
    );
    const file = join(dir, 'it-ipam-store.yaml');
    writeFileSync(file, `name: it-ipam-store\nnetwork:\n  cni: { conflist: store.conflist }\nnodes: [{name: node1}]\npods: [{name: a}]\n`);
    try {
      const up = await netlab(['up', file]);
      expect(up.code, up.stderr).toBe(0);
      expect(existsSync(store)).toBe(false);
      expect(existsSync('/var/lib/cni/networks/it-ipam-store-net')).toBe(false);
      expect(existsSync('/run/netlab/it-ipam-store/cni/ipam/node1/it-ipam-store-net/10.244.0.2')).toBe(true);
    } finally {
      await netlab(['down', 'it-ipam-store']);
    }
    expect(existsSync('/run/netlab/it-ipam-store')).toBe(false);
    expect(await netnsOf('it-ipam-store')).toEqual([]);
  });
});

describe('files merge-junit reads follow the lab file’s rules', () => {
  it('a FIFO, /dev/zero and a 100 MB file are refused at once with exit 2 (a FIFO blocked forever, /dev/zero took 2.1 GB)', async () => {
    const fifo = join(dir, 'shard.fifo');
    execFileSync('mkfifo', [fifo]);
    const big = join(dir, 'big.xml');
    execFileSync('truncate', ['-s', '100M', big]);
    for (const [input, why] of [
      [fifo, /not a regular file \(a JUnit report is an XML file on disk\)/],
      ['/dev/zero', /not a regular file/],
      [big, /104857600 bytes is larger than a JUnit report may be \(67108864 bytes\)/],
    ] as const) {
      const r = await netlab(['merge-junit', '-o', join(dir, 'all.xml'), input]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  }, 10_000);
});

describe('an output path that cannot be written is exit 2 before any work', () => {
  it.each([
    ['a missing directory', () => join(dir, 'missing', 'out'), /the directory .*missing does not exist/],
    ['a directory', () => dir, /is a directory/],
    ['/dev/full', () => '/dev/full', /not a regular file/],
  ])(
    '%s, for graph -o, merge-junit -o and test --junit',
    async (_, path, why) => {
      const out = path();
      const shard = join(dir, 'shard.xml');
      writeFileSync(shard, '<?xml version="1.0"?>\n<testsuites><testsuite name="s"><testcase name="a" time="1"/></testsuite></testsuites>\n');
      for (const args of [
        ['graph', 'labs/two-node.yaml', '--format', 'dot', '-o', out],
        ['merge-junit', '-o', out, shard],
        // Refused before the lab is built: it-never-built must not exist at any point.
        ['test', 'test/fixtures/hostile/never-built.yaml', '--junit', out],
      ]) {
        const r = await netlab(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(why);
      }
      expect(await netnsOf('it-never-built')).toEqual([]);
    },
    20_000,
  );
});

describe.skipIf(!isRoot)('commands that read a lab, run as another user', () => {
  it('status and graph of a lab by name say they need root, exit 3 (they said "damaged: EACCES", exit 0, or crashed)', async () => {
    const file = join(dir, 'it-nonroot.yaml');
    writeFileSync(file, 'name: it-nonroot\nnodes: [{name: node1}]\npods: [{name: a}]\n');
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      for (const args of [['status', 'it-nonroot'], ['status'], ['status', 'it-nonroot', '--json'], ['graph', 'it-nonroot']]) {
        let r: { code: number; stderr: string };
        try {
          execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, 'bin/netlab.js', ...args], { stdio: 'pipe' });
          r = { code: 0, stderr: '' };
        } catch (e) {
          const err = e as { status: number; stderr: Buffer };
          r = { code: err.status, stderr: err.stderr.toString() };
        }
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
        expect(r.stderr).toMatch(/needs root/);
      }
    } finally {
      await netlab(['down', 'it-nonroot']);
    }
  });
});

describe.skipIf(!isRoot)('exec names pods as the README does', () => {
  it('default/a is the pod a of the default namespace (it was refused)', async () => {
    const file = join(dir, 'it-exec-ns.yaml');
    writeFileSync(file, 'name: it-exec-ns\nnodes: [{name: node1}]\npods: [{name: a}, {name: a, namespace: prod}]\n');
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      const mine = await netlab(['exec', 'it-exec-ns', 'default/a', '--', 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      const prod = await netlab(['exec', 'it-exec-ns', 'prod/a', '--', 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      expect(mine.code, mine.stderr).toBe(0);
      expect(prod.code, prod.stderr).toBe(0);
      expect(mine.stdout).toMatch(/inet 10\.244\.0\.2\//);
      expect(prod.stdout).toMatch(/inet 10\.244\.0\.3\//);
    } finally {
      await netlab(['down', 'it-exec-ns']);
    }
  });
});

describe('work a lab asks for is counted before any is done (each once took seconds to minutes and gigabytes)', () => {
  const pods = (n: number, extra = '') =>
    `nodes: [{name: n1}, {name: n2}, {name: n3}, {name: n4}]\npods: [{name: p, replicas: ${n}, labels: {app: a}, containers: [{name: c, listen: [80/tcp, 81/tcp]}]}]\n${extra}`;

  it('100 Services × 64 ports over 1,000 pods (plan took 115 s and 4.4 GB, then V8 aborted)', async () => {
    const ports = Array.from({ length: 64 }, (_, j) => `{name: p${j}, port: ${1000 + j}, targetPort: 80}`).join(', ');
    const services = Array.from({ length: 100 }, (_, i) => `  - {name: s${i}, selector: {app: a}, ports: [${ports}]}`).join('\n');
    const file = join(dir, 'svc-bomb.yaml');
    writeFileSync(file, `name: svc-bomb\n${pods(1000, `services:\n${services}\n`)}`);
    await refused(file, /services\[0\]: the lab needs 256,256 kube-proxy chains by here, more than netlab plans \(250,000\)/);
  }, 10_000);

  it('a 924-byte policy lab: 2,000 pods, 4 rules × 4 peers × 4 ports (exit 70 after 17 s and 1.9 GB)', async () => {
    const rule = `{from: [{podSelector: {}}, {podSelector: {}}, {podSelector: {}}, {podSelector: {}}], ports: [{port: 80}, {port: 81}, {port: 82}, {port: 83}]}`;
    const file = join(dir, 'policy-bomb.yaml');
    writeFileSync(
      file,
      `name: policy-bomb\n${pods(2000, `policies:\n  - {name: all, spec: {podSelector: {}, ingress: [${rule}, ${rule}, ${rule}, ${rule}]}}\n`)}`,
    );
    await refused(file, /policies\[0\]: the lab needs 256,000,000 addresses in NetworkPolicy statements by here, more than netlab plans \(4,000,000\)/);
  }, 10_000);

  it('a 281-byte policyMatrix: 400 pods × 16 ports × 2 protocols (crashed in the prober after 35 s and 2.7 GB, lab left up)', async () => {
    const file = join(dir, 'matrix-bomb.yaml');
    const ports = Array.from({ length: 16 }, (_, i) => 80 + i).join(', ');
    writeFileSync(file, `name: matrix-bomb\n${pods(400, `tests:\n  - policyMatrix: {ports: [${ports}], protocols: [tcp, udp]}\n`)}`);
    await refused(file, /tests\[0\]\.policyMatrix: the lab needs 5,120,000 policy matrix cells by here, more than netlab plans \(20,000\)/);
  }, 10_000);

  it('the default policyMatrix over 3,000 pods (cubic to build)', async () => {
    const file = join(dir, 'matrix-default.yaml');
    writeFileSync(file, `name: matrix-default\n${pods(3000, `tests:\n  - policyMatrix: {}\n`)}`);
    await refused(file, /the lab needs 18,000,000 policy matrix cells/);
  }, 10_000);

  it('a conflist of 2,000 loopback plugins (48 s a pod)', async () => {
    const conflist = join(dir, 'many.conflist');
    writeFileSync(conflist, JSON.stringify({ name: 'many', cniVersion: '1.0.0', plugins: Array.from({ length: 2000 }, () => ({ type: 'loopback' })) }));
    const file = join(dir, 'many-plugins.yaml');
    writeFileSync(file, `name: many-plugins\nnetwork: {cni: {conflist: many.conflist}}\nnodes: [{name: n1}]\npods: [{name: a}]\n`);
    await refused(file, /many\.conflist:1:\d+: plugins: lists 2000 plugins, more than netlab runs in one list \(16\)/);
  }, 10_000);
});

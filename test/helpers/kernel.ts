import type { TestResult } from '../../src/checks/types.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { execa } from 'execa';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs the built CLI as a user would, from the project root. */
export async function netlab(args: string[], env: Record<string, string> = {}) {
  const r = await execa(process.execPath, ['bin/netlab.js', ...args], { reject: false, env: { CI: 'true', ...env } });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** What `netlab test --json` reports. */
export type Report = { passed: number; failed: number; tests: TestResult[] };

/** `netlab test FILE --json`, parsed: the exit code and the report. */
export async function testJson(file: string, extra: string[] = []): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await netlab(['test', file, '--json', ...extra]);
  return { code: r.code, report: JSON.parse(r.stdout || '{"tests":[]}') as Report, stderr: r.stderr };
}

/** An iproute2 JSON query inside a namespace, the way an outsider inspects the lab. */
export async function ipj<T = Record<string, unknown>[]>(netns: string, args: string[], tool: 'ip' | 'bridge' = 'ip'): Promise<T> {
  const r = await execa(tool, ['-n', netns, '-j', ...args]);
  return JSON.parse(r.stdout || '[]') as T;
}

/** A command inside a namespace; never throws. */
export async function inNetns(netns: string, argv: string[], input?: string) {
  const r = await execa('ip', ['netns', 'exec', netns, ...argv], { reject: false, input: input ?? '', timeout: 20_000 });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function sysctl(netns: string, key: string): Promise<string> {
  const r = await inNetns(netns, ['cat', `/proc/sys/${key.replace(/\./g, '/')}`]);
  return r.stdout.trim();
}

/** Asks a pod's listener over TCP or UDP from inside `netns` (the e2e netexec verbs). */
export async function ask(netns: string, proto: 'tcp' | 'udp', ip: string, port: number, verb = 'hostname') {
  const script = `
import socket, sys
proto, ip, port, verb = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if proto == 'tcp':
    s = socket.create_connection((ip, port), 3); s.sendall((verb + '\\n').encode())
    print(s.recv(200).decode().strip())
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    for attempt in range(3):
        s.sendto(verb.encode(), (ip, port))
        try:
            print(s.recvfrom(200)[0].decode().strip()); break
        except socket.timeout:
            continue
    else:
        sys.exit(1)
`;
  return inNetns(netns, ['python3', '-c', script, proto, ip, String(port), verb]);
}

export async function ping(netns: string, ip: string, extra: string[] = []) {
  return inNetns(netns, ['ping', '-c', '2', '-w', '5', '-i', '0.2', ...extra, ip]);
}

/** A copy of a shipped lab under another name, so each test owns its lab. */
export async function labFileAs(shipped: string, name: string): Promise<string> {
  const text = readFileSync(`labs/${shipped}.yaml`, 'utf8').replace(/^name: .*$/m, `name: ${name}`);
  const file = await writeLab(name, text);
  // Conflists are named relative to the lab file: they come along.
  cpSync('labs/cni', join(dirname(file), 'cni'), { recursive: true });
  return file;
}

/** The directories writeLab made: removed when the test process ends (this module is also loaded outside any test). */
const labDirs: string[] = [];
process.once('exit', () => {
  for (const dir of labDirs) rmSync(dir, { recursive: true, force: true });
});

export async function writeLab(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netlab-test-'));
  labDirs.push(dir);
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

export async function netnsOf(lab: string): Promise<string[]> {
  try {
    return (await readdir('/run/netns')).filter((n) => n.startsWith(`netlab.${lab}.`)).sort();
  } catch {
    return [];
  }
}

/** PIDs whose network namespace is one of the lab's (or any netlab one). */
export async function processesOf(lab?: string): Promise<number[]> {
  const prefix = lab ? `netlab.${lab}.` : 'netlab.';
  const pids: number[] = [];
  for (const ns of (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix))) {
    const r = await execa('ip', ['netns', 'pids', ns], { reject: false });
    pids.push(...String(r.stdout).split('\n').filter(Boolean).map(Number));
  }
  return pids;
}

/**
 * The host's root network namespace as data: links, addresses, routes,
 * rules, nftables ruleset and forwarding. Counters and lifetimes that tick
 * on their own are left out.
 */
export async function rootFingerprint(): Promise<string> {
  const q = async (args: string[]) => JSON.parse((await execa('ip', ['-j', ...args])).stdout || '[]') as unknown;
  const nft = await execa('nft', ['-j', 'list', 'ruleset'], { reject: false });
  const snapshot = {
    links: await q(['-d', 'link', 'show']),
    addresses: await q(['addr', 'show']),
    routes: await q(['route', 'show', 'table', 'all']),
    rules: await q(['rule', 'show']),
    nft: nft.exitCode === 0 ? nft.stdout : `unavailable: ${nft.stderr}`,
    forwarding: ['net/ipv4/ip_forward', 'net/ipv4/conf/all/forwarding', 'net/ipv6/conf/all/forwarding'].map((k) => {
      try {
        return `${k}=${readFileSync(`/proc/sys/${k}`, 'utf8').trim()}`;
      } catch {
        return `${k}=?`;
      }
    }),
  };
  return JSON.stringify(
    snapshot,
    (key, value) => (['valid_life_time', 'preferred_life_time', 'expires', 'used', 'updated', 'confirmed'].includes(key) ? undefined : value),
    1,
  );
}

export async function stateDirExists(lab: string): Promise<boolean> {
  return readFile(`/run/netlab/${lab}/state.json`).then(
    () => true,
    () => false,
  );
}

/** Polls until `probe` holds, or fails naming what it waited for. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * A shipped lab, copied under `name`, brought up, its tests run and every one
 * passing (`rows` of them, when given); the file, for what the test checks next.
 */
export async function upAndPass(shipped: string, name: string, rows?: number): Promise<string> {
  const file = await labFileAs(shipped, name);
  const up = await netlab(['up', file]);
  expect(up.code, up.stderr).toBe(0);
  const { code, report } = await testJson(file);
  expect(code, JSON.stringify(report.tests.filter((t) => t.status === 'failed'))).toBe(0);
  if (rows !== undefined) expect(report.tests).toHaveLength(rows);
  return file;
}

/**
 * A shipped lab, copied under `name`, up for the tests of the enclosing
 * describe and down after them (also when they fail). Returns its file.
 */
export function upForTests(shipped: string, name: string): () => string {
  let file = '';
  beforeAll(async () => {
    file = await labFileAs(shipped, name);
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(async () => {
    await netlab(['down', name]);
  });
  return () => file;
}

/** Builds a shipped lab, copied under `name`, by running the script `netlab plan` prints, as a person would. */
export async function buildByHand(shipped: string, name: string): Promise<void> {
  const plan = await netlab(['plan', await labFileAs(shipped, name)]);
  expect(plan.code, plan.stderr).toBe(0);
  const sh = await execa('sh', ['-e'], { input: plan.stdout, reject: false, timeout: 60_000 });
  expect(sh.exitCode, String(sh.stderr)).toBe(0);
}

/**
 * Writes into `dir` a `python3` that answers for netlab's apply helper the
 * way the helper reports the kernel refusing an op (`error: INDEX: REASON`,
 * exit 1) at the first op of `kind`, and runs every other request, and every
 * other program, with the real python3. Point NETLAB_PYTHON at `dir`/python3.
 */
export async function fakeHelperRefusing(dir: string, kind: string, reason: string): Promise<void> {
  const real = (await execa('sh', ['-c', 'command -v python3'])).stdout.trim();
  const script = `#!${real}
import json, os, subprocess, sys
if any(a.endswith("netlab-apply.py") for a in sys.argv[1:]):
    data = sys.stdin.read()
    ops = json.loads(data)["ops"]
    for i, op in enumerate(ops):
        if op["kind"] == ${JSON.stringify(kind)}:
            print(f"error: {i}: ${reason}", file=sys.stderr)
            sys.exit(1)
    sys.exit(subprocess.run(["${real}", *sys.argv[1:]], input=data, text=True).returncode)
os.execv("${real}", ["${real}", *sys.argv[1:]])
`;
  await writeFile(join(dir, 'python3'), script, { mode: 0o755 });
}

/** The processes in a namespace with their command lines (argv), as /proc shows them; one that ended meanwhile is left out. */
export async function commandLines(netns: string): Promise<Array<{ pid: number; argv: string[] }>> {
  const r = await execa('ip', ['netns', 'pids', netns], { reject: false });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .flatMap((pid) => {
      try {
        return [{ pid: Number(pid), argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean) }];
      } catch {
        return [];
      }
    });
}

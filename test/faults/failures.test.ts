import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeHelperRefusing, isRoot, labFileAs, netlab, netnsOf, processesOf, writeLab } from '../helpers/kernel.js';

/**
 * Failures a user can meet, each through the real CLI with a tool that
 * misbehaves on purpose (first on PATH): every one is its documented exit
 * code and a clear message, never "internal error" with a stack trace.
 */
let fakeBin: string;
/** Where the real tools are on this machine (Debian: /usr/sbin/ip, others elsewhere). */
const real = (tool: string) => execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
const LAB = 'it-failures';

/** A stand-in for `tool` that runs `script` (sh) and otherwise passes through to the real one. */
async function fake(tool: string, script: string): Promise<void> {
  await writeFile(join(fakeBin, tool), `#!/bin/sh\n${script}\n`);
  await chmod(join(fakeBin, tool), 0o755);
}

function noStack(stderr: string): void {
  expect(stderr).not.toMatch(/internal error|\n\s+at .*:\d+:\d+/);
}

describe.skipIf(!isRoot)('failures are typed end to end', () => {
  beforeAll(async () => {
    fakeBin = await mkdtemp(join(tmpdir(), 'netlab-fake-'));
  });
  afterAll(async () => {
    await netlab(['down', LAB]);
    await rm(fakeBin, { recursive: true, force: true });
  });
  const withFakes = () => ({ PATH: `${fakeBin}:${process.env.PATH}` });
  // netlab runs its helpers with NETLAB_PYTHON when set (the system's python3 otherwise): a fake one stands in for it.
  const withFakePython = () => ({ ...withFakes(), NETLAB_PYTHON: join(fakeBin, 'python3') });

  it('Graphviz failing in graph: exit 4, one line naming dot', async () => {
    await fake('dot', 'cat >/dev/null; echo "Error: syntax error in line 1" >&2; exit 1');
    const r = await netlab(['graph', 'labs/two-node.yaml'], withFakes());
    expect(r.code).toBe(4);
    expect(r.stderr.trim()).toBe("netlab: Graphviz's dot failed (exit 1): Error: syntax error in line 1");
    await rm(join(fakeBin, 'dot'));
  });

  it('a prober that crashes: exit 4 saying so, not a test verdict', async () => {
    const file = await writeLab(
      LAB,
      `name: ${LAB}\nnodes: [{name: node1}]\npods:\n  - {name: a, containers: [{name: c, listen: [80/tcp]}]}\n  - {name: b}\ntests:\n  - tcp: {from: b, to: a, port: 80}\n`,
    );
    expect((await netlab(['up', file])).code).toBe(0);
    // python3 runs the runtime helpers; this one dies like a segfault when it is the prober.
    await fake('python3', `case "$*" in *netlab-probe.py*) kill -SEGV $$ ;; esac\nexec ${real('python3')} "$@"`);
    const r = await netlab(['test', file], withFakePython());
    await rm(join(fakeBin, 'python3'));
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toMatch(/the prober crashed \(killed by SIGSEGV\) after 0 of 1 probes/);
    noStack(r.stderr);
  });

  it('a test that crashes on a lab it brought up releases its lock and takes the lab down', async () => {
    const name = `${LAB}-crash`;
    const file = await writeLab(
      name,
      `name: ${name}\nnodes: [{name: node1}]\npods:\n  - {name: a, containers: [{name: c, listen: [80/tcp]}]}\n  - {name: b}\ntests:\n  - tcp: {from: b, to: a, port: 80}\n`,
    );
    await fake('python3', `case "$*" in *netlab-probe.py*) kill -SEGV $$ ;; esac\nexec ${real('python3')} "$@"`);
    try {
      const r = await netlab(['test', file], withFakePython());
      expect(r.code, r.stdout + r.stderr).toBe(4);
      noStack(r.stderr);
    } finally {
      await rm(join(fakeBin, 'python3'), { force: true });
    }
    expect(await netnsOf(name)).toEqual([]);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir('/run/netlab')).filter((f) => f.startsWith(name))).toEqual([]);
    // Nothing holds the lab: a down of it has nothing to wait for.
    expect((await netlab(['down', name])).stdout).toMatch(/is not up; nothing to remove/);
  });

  it('a lab needing more open files than netlab may have: exit 3 before anything is made, saying what to raise', async () => {
    const name = `${LAB}-files`;
    const file = await writeLab(
      name,
      `name: ${name}\nnodes: [{name: node1}, {name: node2}]\npods:\n  - {name: p, replicas: 300, containers: [{name: c, listen: [80/tcp]}]}\n`,
    );
    // 300 sockets for the runtime, 200 files allowed (enough for netlab itself).
    const r = await execa('prlimit', ['--nofile=200:200', process.execPath, 'bin/netlab.js', 'up', file], { reject: false, env: { CI: 'true' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(
      /listen on 300 ports, one socket each, but netlab may open only 200 files \(ulimit -Hn\); raise the limit \(as root: ulimit -n 1324/,
    );
    expect(await netnsOf(name)).toEqual([]);
  });

  it('a namespace that cannot be deleted in down: exit 4 naming it', async () => {
    await fake(
      'ip',
      `case "$*" in "-force -batch -") cat >/dev/null; echo "Cannot remove namespace file: Device or resource busy" >&2; exit 1 ;; esac\nexec ${real('ip')} "$@"`,
    );
    const r = await netlab(['down', LAB], withFakes());
    await rm(join(fakeBin, 'ip'));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^netlab: could not delete namespace netlab\.it-failures\.\S+.*Device or resource busy/);
    noStack(r.stderr);
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
  });

  it('a watcher that will not start costs the lab nothing: up says so, and status reads everything', async () => {
    await fake('python3', `case "$*" in *netlab-watch.py*) echo "error: no watching today" >&2; exit 1 ;; esac\nexec ${real('python3')} "$@"`);
    const file = await labFileAs('two-node', LAB);
    const r = await netlab(['up', '--watch', file], withFakePython());
    await rm(join(fakeBin, 'python3'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /netlab: no watcher for `netlab status`, which reads every namespace instead: the watcher exited \(exit 1\) before it was ready: no watching today/,
    );
    noStack(r.stderr);
    const status = JSON.parse((await netlab(['status', LAB, '--json'])).stdout) as { status: string; observed: { namespacesRead: number; watcher: string } };
    expect(status.status).toBe('up');
    expect(status.observed).toMatchObject({ namespacesRead: 7, watcher: 'none started (`up` starts one from 4,000 pods, or with --watch)' });
    expect((await netlab(['down', LAB])).code).toBe(0);
  });

  it('a rollback that fails reports the failure and what it could not undo', async () => {
    await fakeHelperRefusing(fakeBin, 'fdb.replace', 'Invalid argument');
    await fake(
      'ip',
      `case "$*" in "-force -batch -") cat >/dev/null; echo "Cannot remove namespace file: Device or resource busy" >&2; exit 1 ;; esac\nexec ${real('ip')} "$@"`,
    );
    const r = await netlab(['up', await labFileAs('two-node', LAB)], withFakePython());
    await rm(join(fakeBin, 'ip'));
    await rm(join(fakeBin, 'python3'));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /fdb replace .* failed: Invalid argument\nand the rollback failed too, so parts of lab "it-failures" remain: could not delete namespace/,
    );
    expect(r.stderr).toContain('run `netlab down it-failures` to remove them');
    noStack(r.stderr);
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await processesOf(LAB)).toEqual([]);
  });
});

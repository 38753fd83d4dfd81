import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, netnsOf, processesOf, stateDirExists, writeLab } from '../helpers/kernel.js';

const SIGNALLED = 'it-sigint';
const RECREATE = 'it-recreate';
const CLEAN_A = 'it-clean-a';
const CLEAN_B = 'it-clean-b';

/** Labs on this host that are not the test suite's (`it-…`). */
function labsOfOthers(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith('netlab.') && !n.startsWith('netlab.it-'));
  } catch {
    return [];
  }
}

/** A lab big enough that `up` is still at work when the signal arrives. */
function bigLabText(name: string): string {
  const nodes = Array.from({ length: 4 }, (_, i) => `  - name: node${i + 1}`).join('\n');
  return `name: ${name}\nnodes:\n${nodes}\npods:\n  - name: p\n    replicas: 150\n    containers: [{ name: c, listen: [80/tcp] }]\n`;
}

describe.skipIf(!isRoot)('interruptions and rebuilds', () => {
  afterAll(async () => {
    for (const lab of [SIGNALLED, RECREATE, CLEAN_A, CLEAN_B]) await netlab(['down', lab]);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('rolls back by itself on %s during up and exits non-zero', async (signal) => {
    const file = await writeLab(SIGNALLED, bigLabText(SIGNALLED));
    const child = execa(process.execPath, ['bin/netlab.js', 'up', file], { reject: false, env: { CI: 'true' } });
    // Wait until the build has begun making namespaces (the state file is written first).
    for (let i = 0; i < 400 && (await netnsOf(SIGNALLED)).length === 0; i++) await sleep(5);
    expect((await netnsOf(SIGNALLED)).length).toBeGreaterThan(0);
    child.kill(signal);
    const r = await child;
    expect(r.exitCode).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(String(r.stderr)).toContain(`interrupted by ${signal}: the lab was rolled back`);
    expect(await netnsOf(SIGNALLED)).toEqual([]);
    expect(await processesOf(SIGNALLED)).toEqual([]);
    expect(await stateDirExists(SIGNALLED)).toBe(false);
  });

  it('rebuilds with --recreate when the network changed', async () => {
    const file = await labFileAs('same-node', RECREATE);
    expect((await netlab(['up', file])).code).toBe(0);
    await writeFile(file, (await readFile(file, 'utf8')).replace('  - name: pod-b\n', '  - name: pod-b\n    ip: 10.244.0.77\n'));
    expect((await netlab(['up', file])).code).toBe(2);
    const r = await netlab(['up', '--recreate', file]);
    expect(r.code, r.stderr).toBe(0);
    const { stdout } = await execa('ip', ['-n', `netlab.${RECREATE}.pod.pod-b`, '-4', '-j', 'addr', 'show', 'dev', 'eth0']);
    expect(JSON.parse(stdout)[0].addr_info[0].local).toBe('10.244.0.77');
    expect((await netlab(['down', RECREATE])).code).toBe(0);
  });

  it('says it needs root, with exit 3, when run as another user', async () => {
    const r = await execa('runuser', ['-u', 'nobody', '--', process.execPath, 'bin/netlab.js', 'up', 'labs/same-node.yaml'], { reject: false });
    expect(r.exitCode).toBe(3);
    expect(String(r.stderr)).toContain('netlab needs root');
  });

  // `clean` removes every lab on the host: never run it over someone's own labs. When there are
  // some, the test is reported as skipped, not passed.
  it.skipIf(labsOfOthers().length > 0)('clean removes every lab, state and lock', async () => {
    // One with a watcher: each lab's container runtime, and the watcher, are ended.
    expect((await netlab(['up', '--watch', await labFileAs('same-node', CLEAN_A)])).code).toBe(0);
    expect((await netlab(['up', await labFileAs('pod-containers', CLEAN_B)])).code).toBe(0);
    const r = await netlab(['clean']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cleaned 2 labs: 8 namespaces, 3 processes/);
    expect(await netnsOf(CLEAN_A)).toEqual([]);
    expect(await netnsOf(CLEAN_B)).toEqual([]);
    expect((await readdir('/run/netlab')).filter((f) => f.startsWith('it-clean'))).toEqual([]);
    expect((await netlab(['clean'])).stdout).toBe('nothing to clean');
  });
});

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

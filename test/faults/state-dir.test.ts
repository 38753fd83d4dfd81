import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, netnsOf } from '../helpers/kernel.js';

const LAB = 'it-statedir';
const base = mkdtempSync(join(tmpdir(), 'netlab-statedir-'));

/** Runs the CLI with a umask and a state directory of the test's choosing. */
function netlabIn(runDir: string, args: string[], umask = '000') {
  try {
    const stdout = execFileSync('sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', process.execPath, 'bin/netlab.js', ...args], {
      env: { ...process.env, NETLAB_RUN_DIR: runDir, CI: 'true' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

describe.skipIf(!isRoot)('the state directory', () => {
  afterAll(async () => {
    for (const dir of ['private', 'planted']) netlabIn(join(base, dir), ['down', LAB]);
    await netlab(['down', LAB]);
    rmSync(base, { recursive: true, force: true });
  });

  it('is private whatever root’s umask (umask 000 once gave 777 and 666)', async () => {
    const runDir = join(base, 'private');
    const file = await labFileAs('same-node', LAB);
    expect(netlabIn(runDir, ['up', file]).code).toBe(0);
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(runDir, LAB)).mode & 0o777).toBe(0o700);
    for (const f of ['state.json', 'containers.json', 'containers.log']) expect(statSync(join(runDir, LAB, f)).mode & 0o777, f).toBe(0o600);
    expect(netlabIn(runDir, ['down', LAB]).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
  });

  it('is refused when another user can write it', async () => {
    const runDir = join(base, 'open');
    mkdirSync(runDir);
    chmodSync(runDir, 0o777);
    const r = netlabIn(runDir, ['up', await labFileAs('same-node', LAB)]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/refusing the state directory .*can be written by other users \(mode 777\)/);
    expect(await netnsOf(LAB)).toEqual([]);
  });

  it('never writes through a symlink planted where a state file goes', async () => {
    const runDir = join(base, 'planted');
    const victim = join(base, 'victim');
    writeFileSync(victim, 'precious\n', { mode: 0o600 });
    mkdirSync(join(runDir, LAB), { recursive: true, mode: 0o700 });
    chmodSync(runDir, 0o700);
    for (const name of ['containers.json', 'containers.log']) symlinkSync(victim, join(runDir, LAB, name));
    const file = await labFileAs('same-node', LAB);
    const r = netlabIn(runDir, ['up', file]);
    // The log is opened with O_NOFOLLOW: the planted link makes `up` fail cleanly, and the victim is untouched.
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/refusing to write .*containers\.log: it is a symbolic link/);
    netlabIn(runDir, ['down', LAB]);
    expect(await netnsOf(LAB)).toEqual([]);
  });
});

describe.skipIf(!isRoot)('locks and capabilities', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('a lock naming a live process that is not its owner is stale (it used to make up wait 121 s)', async () => {
    mkdirSync('/run/netlab', { recursive: true, mode: 0o700 });
    // PID 1 is alive, but it did not start at tick 1: this lock was left by a netlab whose PID was reused.
    writeFileSync(`/run/netlab/${LAB}.lock`, '1 1\n', { mode: 0o600 });
    const r = await netlab(['up', await labFileAs('same-node', LAB)]);
    expect(r.code, r.stderr).toBe(0);
    expect((await netlab(['down', LAB])).code).toBe(0);
  }, 20_000);

  it('root without the capabilities gets exit 3 naming them (it used to be exit 4)', async () => {
    const file = await labFileAs('same-node', LAB);
    let code = 0;
    let stderr = '';
    try {
      execFileSync('setpriv', ['--inh-caps=-all', '--bounding-set=-all', '--', process.execPath, 'bin/netlab.js', 'up', file], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(code).toBe(3);
    expect(stderr).toMatch(/without CAP_NET_ADMIN and CAP_SYS_ADMIN/);
    expect(await netnsOf(LAB)).toEqual([]);
  });
});

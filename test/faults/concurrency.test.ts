import { execa } from 'execa';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, netnsOf, ping, writeLab } from '../helpers/kernel.js';

const LABS = ['it-par-a', 'it-par-b', 'it-par-c', 'it-par-d'];

/** it-busy up, and a `netlab test` of it (10 pings, 2 s) running and holding the lab's shared lock. */
async function busyLabUnderTest(): Promise<{ test: ReturnType<typeof netlab> }> {
  const file = await writeLab(
    'it-busy',
    'name: it-busy\nnodes: [{name: node1}]\npods: [{name: a}, {name: b}]\ntests:\n  - ping: {from: a, to: b, count: 10}\n',
  );
  expect((await netlab(['up', file])).code).toBe(0);
  const test = netlab(['test', file]);
  // The test registers as a reader before its first probe.
  await readerRegistered('it-busy');
  // Wrapped: an async function returning the promise itself would wait for the test to end.
  return { test };
}

/** Until a running `netlab test` of the lab holds its shared lock (a reader file). */
async function readerRegistered(lab: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await readdir('/run/netlab')).some((f) => f.startsWith(`${lab}.lock.read.`))) {
    if (Date.now() > deadline) throw new Error('netlab test never took its shared lock');
    await sleep(20);
  }
}

describe.skipIf(!isRoot)('labs side by side', () => {
  afterAll(async () => {
    for (const lab of [...LABS, 'it-twice', 'it-twice-diff', 'it-busy']) await netlab(['down', lab]);
  });

  it('several different labs come up and go down in parallel, each complete', async () => {
    const files = await Promise.all(LABS.map((lab, i) => labFileAs(['two-node', 'host-gw', 'same-node', 'pod-containers'][i]!, lab)));
    const ups = await Promise.all(files.map((f) => netlab(['up', f])));
    for (const u of ups) expect(u.code, u.stderr).toBe(0);
    expect((await netnsOf('it-par-a')).length).toBe(7);
    expect((await netnsOf('it-par-b')).length).toBe(1 + 3 + 4);
    // Same addresses in different labs do not meet: each lab is its own world.
    expect((await ping('netlab.it-par-a.pod.pod1', '10.244.1.3')).code).toBe(0);
    expect((await ping('netlab.it-par-b.pod.client', '10.244.1.2')).code).toBe(0);
    const tests = await Promise.all(files.slice(0, 2).map((f) => netlab(['test', f])));
    for (const t of tests) expect(t.code, t.stdout).toBe(0);
    const downs = await Promise.all(LABS.map((lab) => netlab(['down', lab])));
    for (const d of downs) expect(d.code).toBe(0);
    for (const lab of LABS) expect(await netnsOf(lab)).toEqual([]);
  });

  it('the same lab started twice at once ends as one complete lab, and the loser says why', async () => {
    const file = await labFileAs('two-node', 'it-twice');
    const [a, b] = await Promise.all([netlab(['up', file]), netlab(['up', file])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const outputs = [a.stdout, b.stdout].join('\n');
    expect(outputs).toMatch(/lab "it-twice" is up:/);
    expect(outputs).toMatch(/lab "it-twice" is already up .*nothing to do/);
    expect(await netnsOf('it-twice')).toHaveLength(7);
    expect((await netlab(['test', file, '--only', 'pods'])).code).toBe(0);
  });

  it('two different labs of one name at once: one is built, the other refused with the difference', async () => {
    const one = await labFileAs('two-node', 'it-twice-diff');
    const other = await labFileAs('two-node', 'it-twice-diff');
    await writeFile(other, (await readFile(other, 'utf8')).replace('address: 192.168.19.14', 'address: 192.168.19.99'));
    const [a, b] = await Promise.all([netlab(['up', one]), netlab(['up', other])]);
    expect([a.code, b.code].sort()).toEqual([0, 2]);
    expect([a.stderr, b.stderr].join('\n')).toContain('already up with a different network');
    expect(await netnsOf('it-twice-diff')).toHaveLength(7);
    const routes = await execa('ip', ['-n', 'netlab.it-twice-diff.node.node1', 'route']);
    expect(String(routes.stdout)).toMatch(/10\.244\.1\.0\/24 via 10\.244\.1\.0 dev flannel\.1 onlink/);
  });

  it('a down while the tests run waits for them, says so, and then removes the lab', async () => {
    const { test } = await busyLabUnderTest();
    const down = await netlab(['down', 'it-busy']);
    const tested = await test;
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/waiting for netlab \(pid \d+, running its tests\) to finish with lab "it-busy"/);
    expect(await netnsOf('it-busy')).toEqual([]);
  });

  it('a lab removed by hand under running tests is reported as gone, not as failed tests', async () => {
    const { test } = await busyLabUnderTest();
    await execa('ip', ['netns', 'delete', 'netlab.it-busy.pod.b']);
    const tested = await test;
    expect(tested.code).toBe(4);
    expect(tested.stderr).toMatch(/lab "it-busy" went away while its tests ran \(1 of its namespaces are gone\)/);
    expect((await netlab(['down', 'it-busy'])).code).toBe(0);
  });

  it.each([200, 300, 400])('a down %d ms after a test of a running lab starts is never taken for damage', async (delay) => {
    const file = await writeLab(
      'it-race-down',
      'name: it-race-down\nnodes: [{name: node1}]\npods: [{name: a}, {name: b}]\ntests:\n  - ping: {from: a, to: b}\n',
    );
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      const test = netlab(['test', file]);
      await sleep(delay);
      const down = await netlab(['down', 'it-race-down']);
      const tested = await test;
      expect(down.code, down.stderr).toBe(0);
      // The test read the lab under its shared lock (the down waited), or found it gone and built its own.
      expect(tested.stderr).not.toMatch(/differs from its plan/);
      expect(tested.code, tested.stderr).toBe(0);
    } finally {
      await netlab(['down', 'it-race-down']);
    }
    expect(await netnsOf('it-race-down')).toEqual([]);
  });
});

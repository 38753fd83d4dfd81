import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeHelperRefusing, isRoot, labFileAs, netlab, netnsOf, processesOf, rootFingerprint, stateDirExists, writeLab } from '../helpers/kernel.js';

const FOREIGN = 'it-foreign';
const LOST = 'it-lost';
const PRINT = 'it-print';
const BAD = 'it-bad';

describe.skipIf(!isRoot)('lifecycle', () => {
  afterAll(async () => {
    await execa('ip', ['netns', 'del', `netlab.${FOREIGN}.pod.pod3`], { reject: false });
    for (const lab of [FOREIGN, LOST, PRINT, BAD]) await netlab(['down', lab]);
  });

  it('leaves the root namespace exactly as it was', async () => {
    const before = await rootFingerprint();
    expect((await netlab(['up', await labFileAs('two-node', PRINT)])).code).toBe(0);
    expect(await rootFingerprint()).toBe(before);
    expect((await netlab(['down', PRINT])).code).toBe(0);
    expect(await rootFingerprint()).toBe(before);
  });

  it('refuses with exit 4 when a namespace it needs belongs to someone else, and leaves that one alone', async () => {
    const foreign = `netlab.${FOREIGN}.pod.pod3`;
    await execa('ip', ['netns', 'add', foreign]);
    await execa('ip', ['-n', foreign, 'link', 'set', 'lo', 'up']);
    const r = await netlab(['up', await labFileAs('two-node', FOREIGN)]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`namespace ${foreign} already exists and netlab did not make it`);
    expect(await netnsOf(FOREIGN)).toEqual([foreign]);
    expect(await stateDirExists(FOREIGN)).toBe(false);
    await execa('ip', ['netns', 'del', foreign]);
  });

  it('rolls back everything when the kernel refuses an operation half-way, and exits 4 naming it', async () => {
    // The apply helper reports the kernel refusing an FDB entry: the routes wave fails after
    // namespaces, links and addresses were made.
    const fakeBin = await mkdtemp(join(tmpdir(), 'netlab-fake-'));
    await fakeHelperRefusing(fakeBin, 'fdb.replace', 'Invalid argument');
    const r = await netlab(['up', await labFileAs('two-node', BAD)], { PATH: `${fakeBin}:${process.env.PATH}`, NETLAB_PYTHON: join(fakeBin, 'python3') });
    await rm(fakeBin, { recursive: true, force: true });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /bridge -n netlab\.it-bad\.node\.node[12] fdb replace ([0-9a-f]{2}:){5}[0-9a-f]{2} dev flannel\.1 dst 192\.168\.19\.1[34] self permanent failed: Invalid argument/,
    );
    expect(await netnsOf(BAD)).toEqual([]);
    expect(await processesOf(BAD)).toEqual([]);
    expect(await stateDirExists(BAD)).toBe(false);
  });

  it('says which package to install when a tool is missing (exit 3), before changing anything', async () => {
    const file = await labFileAs('same-node', 'it-notools');
    const r = await netlab(['up', file], { PATH: '/nonexistent', NETLAB_PYTHON: '/nonexistent/python3' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('apt-get install -y iproute2 python3 util-linux');
    expect(await netnsOf('it-notools')).toEqual([]);
  });

  it('refuses a broken lab file with exit 2 and changes nothing', async () => {
    const file = await writeLab('it-broken', 'name: it-broken\nnodes:\n  - name: node1\npods:\n  - name: p\n    node: node2\n');
    const r = await netlab(['up', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:6:11: pods[0].node: no node named "node2" (nodes: node1)`);
    expect(await netnsOf('it-broken')).toEqual([]);
  });

  it('finds and removes a lab by its prefix when the state is gone', async () => {
    // With a watcher: down finds it, as the runtime, by its namespace.
    expect((await netlab(['up', '--watch', await labFileAs('same-node', LOST)])).code).toBe(0);
    await rm(`/run/netlab/${LOST}`, { recursive: true, force: true });
    const status = await netlab(['status', LOST, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ name: LOST, status: 'damaged', problems: [expect.stringContaining('no state file')] });
    const r = await netlab(['down', LOST]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/removed 4 namespaces and 2 processes/);
    expect(await netnsOf(LOST)).toEqual([]);
  });

  it('refuses names that try to escape, in down and exec too', async () => {
    for (const args of [
      ['down', '../etc'],
      ['down', 'a/b'],
      ['exec', '../x', 'pod', '--', 'true'],
      ['exec', 'lab', '../pod', '--', 'true'],
      ['status', 'Bad_Name'],
    ]) {
      const r = await netlab(args);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });
});

import { readdir, rm, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, netnsOf, processesOf } from '../helpers/kernel.js';

const CORRUPT = 'it-corrupt';
const WIPED = 'it-wiped';

describe.skipIf(!isRoot)('lost or damaged state', () => {
  afterAll(async () => {
    for (const lab of [CORRUPT, WIPED]) await netlab(['down', lab]);
  });

  it.each([
    ['garbage', 'not json at all {'],
    ['another shape', '{"version": 7, "lab": null}'],
    ['the current version missing fields', '{"version": 2, "status": "up"}'],
    [
      'a lab that no longer validates',
      JSON.stringify({ version: 2, status: 'up', file: '/x.yaml', text: 'name: it-corrupt\nnodes: []\n', pid: 1, createdAt: 'now' }),
    ],
    ['another lab', JSON.stringify({ version: 2, status: 'up', file: '/x.yaml', text: 'name: other\nnodes: [{name: n}]\n', pid: 1, createdAt: 'now' })],
    ['empty', ''],
  ])('a state file of %s: status reports it, up rebuilds and down removes everything', async (_what, content) => {
    const file = await labFileAs('two-node', CORRUPT);
    expect((await netlab(['up', file])).code).toBe(0);
    await writeFile(`/run/netlab/${CORRUPT}/state.json`, content);
    const status = await netlab(['status', '--json']);
    expect(status.code).toBe(0);
    const mine = (JSON.parse(status.stdout) as { labs: Array<{ name: string; status: string; problems: string[] }> }).labs.find((l) => l.name === CORRUPT)!;
    expect(mine.status).toBe('damaged');
    expect(mine.problems[0]).toMatch(/state file is damaged/);
    expect((await netlab(['status', CORRUPT])).stdout).toContain('! state file is damaged');
    // Commands that read the lab from its state say what is wrong, never with a stack trace.
    for (const args of [
      ['graph', CORRUPT, '--format', 'dot'],
      ['trace', CORRUPT, 'pod1', 'pod4'],
    ]) {
      const r = await netlab(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/state file is damaged|not up/);
      expect(r.stderr).not.toMatch(/internal error|TypeError/);
    }
    // up over damaged state tears down what is there and builds afresh.
    expect((await netlab(['up', file])).code).toBe(0);
    await writeFile(`/run/netlab/${CORRUPT}/state.json`, content);
    const down = await netlab(['down', CORRUPT]);
    expect(down.code).toBe(0);
    expect(await netnsOf(CORRUPT)).toEqual([]);
    expect(await processesOf(CORRUPT)).toEqual([]);
  });

  it('with /run/netlab wiped entirely, down finds the lab by prefix and exec still works', async () => {
    expect((await netlab(['up', '--watch', await labFileAs('same-node', WIPED)])).code).toBe(0);
    for (const entry of (await readdir('/run/netlab')).filter((e) => e.startsWith(WIPED))) await rm(`/run/netlab/${entry}`, { recursive: true, force: true });
    const exec = await netlab(['exec', WIPED, 'pod-a', '--', 'ip', '-4', '-br', 'addr', 'show', 'eth0']);
    expect(exec.code).toBe(0);
    expect(exec.stdout).toContain('10.244.0.2/24');
    const down = await netlab(['down', WIPED]);
    expect(down.stdout).toMatch(/removed 4 namespaces and 2 processes/);
    expect(await netnsOf(WIPED)).toEqual([]);
  });
});

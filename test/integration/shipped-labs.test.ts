import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, netnsOf } from '../helpers/kernel.js';

const labs = readdirSync('labs')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

// Every lab teaches its point through its tests: all of them must pass.
describe.skipIf(!isRoot)('the tests of every shipped lab', () => {
  it.each(labs)('%s passes its own tests', async (name) => {
    const lab = `it-lab-${name}`.slice(0, 32);
    const r = await netlab(['test', await labFileAs(name, lab), '--json']);
    const report = JSON.parse(r.stdout || '{}') as { failed: number; tests: Array<{ name: string; status: string; message: string }> };
    const failures = (report.tests ?? []).filter((t) => t.status === 'failed').map((t) => `${t.name}: ${t.message}`);
    expect(failures, r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(await netnsOf(lab)).toEqual([]);
  });
});

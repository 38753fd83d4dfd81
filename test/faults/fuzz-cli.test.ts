import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadLabText } from '../../src/lab/index.js';
import { isRoot, netlab, netnsOf, rootFingerprint, writeLab } from '../helpers/kernel.js';
import { mangledText, mutatedLab } from '../helpers/mutate.js';

const LAB = 'it-fuzz';

/**
 * Randomly broken labs through the real command: `netlab up` must answer
 * each with exit 2 and positioned errors, never a stack trace, and change
 * nothing on the machine.
 */
describe.skipIf(!isRoot)('netlab up on randomly broken labs', () => {
  it('exits 2 with FILE:LINE:COL errors and changes nothing', async () => {
    const samples = fc.sample(
      fc.oneof(
        mutatedLab.map((l) => (l === undefined ? '' : String(stringify(l) ?? ''))),
        mangledText,
      ),
      { numRuns: 400, seed: 42 },
    );
    const broken = samples
      .map((text) => text.replace(/name: fuzz/, `name: ${LAB}`))
      .filter((text) => !loadLabText('x.yaml', text).ok)
      .slice(0, 25);
    expect(broken.length).toBe(25);
    const before = await rootFingerprint();
    for (const text of broken) {
      const file = await writeLab(LAB, text);
      const r = await netlab(['up', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
      for (const line of r.stderr.trim().split('\n')) expect(line.startsWith(`${file}:`), line).toBe(true);
      expect(await netnsOf(LAB)).toEqual([]);
    }
    expect(await rootFingerprint()).toBe(before);
  });
});

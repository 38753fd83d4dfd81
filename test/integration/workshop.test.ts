import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ExerciseShell, examplesOf, matches } from '../helpers/exercises.js';
import { isRoot } from '../helpers/kernel.js';

const files = readdirSync('docs/workshop')
  .filter((f) => /^\d\d-.*\.md$/.test(f))
  .sort();

/**
 * The exercises cannot rot: every command in a ```console block runs against
 * the real lab, in order, and the lines shown under it must appear in what it
 * printed (times, ports and ids masked; `…` skips lines).
 */
describe.skipIf(!isRoot)('workshop exercises', () => {
  const shell = new ExerciseShell();
  afterAll(async () => {
    await shell.cleanUp();
  });

  it('are twelve, in the order a class meets them', () => {
    expect(files).toHaveLength(12);
  });

  it.each(files)('%s: every example prints what the exercise shows', async (file) => {
    const examples = examplesOf(readFileSync(`docs/workshop/${file}`, 'utf8'));
    expect(examples.length).toBeGreaterThan(2);
    for (const ex of examples) {
      const actual = await shell.run(ex.command);
      const m = matches(ex.expected, actual);
      expect(m.ok, `docs/workshop/${file}:${ex.line}: \`${ex.command}\` printed:\n${actual.join('\n')}\nbut the exercise shows: ${m.missing}`).toBe(true);
    }
  });
});

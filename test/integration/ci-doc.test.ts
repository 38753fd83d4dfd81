import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ExerciseShell, examplesOf, matches } from '../helpers/exercises.js';
import { isRoot } from '../helpers/kernel.js';

/**
 * docs/ci.md's commands, run as a CI machine would run them (on a copy of the
 * lab, in a scratch directory): the shards, their JUnit files and the merge
 * must print what the page shows.
 */
describe.skipIf(!isRoot)('docs/ci.md', () => {
  const shell = new ExerciseShell({ inScratch: true });
  afterAll(async () => {
    await shell.cleanUp();
  });

  it('every command prints what the page shows', async () => {
    const examples = examplesOf(readFileSync('docs/ci.md', 'utf8'));
    expect(examples.map((e) => e.command.split(' ').slice(0, 2).join(' '))).toEqual(['netlab test', 'netlab test', 'netlab merge-junit']);
    for (const ex of examples) {
      const actual = await shell.run(ex.command);
      const m = matches(ex.expected, actual);
      expect(m.ok, `docs/ci.md:${ex.line}: \`${ex.command}\` printed:\n${actual.join('\n')}\nbut the page shows: ${m.missing}`).toBe(true);
    }
  });
});

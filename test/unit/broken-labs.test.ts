import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { loadLabText } from '../../src/lab/index.js';

const dir = 'test/fixtures/broken';
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

// Each broken lab carries, in NAME.err beside it, the exact errors it must produce.
describe('broken labs', () => {
  it('has a corpus', () => {
    expect(fixtures.length).toBeGreaterThan(20);
  });

  it.each(fixtures)('%s gives exactly its expected errors', (name) => {
    const file = `${dir}/${name}`;
    const expected = readFileSync(file.replace(/\.yaml$/, '.err'), 'utf8').trimEnd();
    const result = loadLabText(file, readFileSync(file, 'utf8'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem).join('\n')).toBe(expected);
    for (const p of result.problems) {
      expect(formatProblem(p)).toMatch(/^test\/fixtures\/broken\/[\w-]+\.yaml:\d+:\d+: /);
    }
  });
});

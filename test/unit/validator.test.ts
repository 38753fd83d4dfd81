import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import AJV_OPTIONS from '../../src/lab/ajv-options.json' with { type: 'json' };
import { labSchema } from '../../src/lab/schema-file.js';

const BUILT = 'dist/lab/lab-validator.generated.js';
const fixtures = ['test/fixtures/broken', 'labs'].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `${dir}/${f}`),
);
const problems = (errors: ErrorObject[] | null | undefined) => (errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`);

/** The validator `npm run build` compiles into dist/ must say what the schema compiled at run time says. */
describe.skipIf(!existsSync(BUILT))('the validator built with netlab', () => {
  it('finds the same problems as the schema compiled from source, in every shipped and broken lab', async () => {
    const built = ((await import(`../../${BUILT}`)) as { default: ValidateFunction }).default;
    const compiled = new Ajv(AJV_OPTIONS).compile(labSchema() as unknown as object);
    let compared = 0;
    for (const file of fixtures) {
      let data: unknown;
      try {
        data = parse(readFileSync(file, 'utf8'));
      } catch {
        continue; // broken before the schema: not YAML at all
      }
      compared++;
      expect([built(data), problems(built.errors)], file).toEqual([compiled(data), problems(compiled.errors)]);
    }
    expect(compared).toBeGreaterThan(20);
  });
});

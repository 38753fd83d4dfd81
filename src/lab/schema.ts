import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { LabProblem } from '../errors.js';
import { problemAt, type LabDocument } from './document.js';
import { pointerToPath } from './path.js';
import AJV_OPTIONS from './ajv-options.json' with { type: 'json' };
import { labSchema } from './schema-file.js';

/**
 * The validator compiled at build time (scripts/generate-validator.mjs writes
 * it beside this file in dist/): compiling the schema costs a command 0.1 s.
 * Absent when running from the sources; then the schema is compiled here.
 */
const prebuilt = await import(new URL('./lab-validator.generated.js', import.meta.url).href).then(
  (m: { default: ValidateFunction }) => m.default,
  () => undefined,
);
let compiled: ValidateFunction | undefined = prebuilt;

function validator(): ValidateFunction {
  // verbose: gives each error its parentSchema, whose description is our hint. The build uses the same options.
  compiled ??= new Ajv(AJV_OPTIONS).compile(labSchema() as unknown as object);
  return compiled;
}

/** Checks the lab's shape against schemas/lab.schema.json; every problem at once. */
export function checkSchema(doc: LabDocument): LabProblem[] {
  const validate = validator();
  if (validate(doc.data)) return [];
  const problems = (validate.errors ?? []).map((e) => toProblem(doc, e));
  return dedupe(problems);
}

function toProblem(doc: LabDocument, e: ErrorObject): LabProblem {
  const path = pointerToPath(e.instancePath);
  const hint = describe(e.parentSchema);
  const got = shortValue(e.data);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const p = problemAt(doc, [...path, key], `unknown key "${key}"`, `allowed here: ${allowed.join(', ')}`);
      return { ...p, position: doc.locateKey(path, key) };
    }
    case 'required': {
      const key = String(e.params.missingProperty);
      return problemAt(doc, path, `missing required key "${key}"`);
    }
    case 'type':
      return problemAt(doc, path, `must be ${article(String(e.params.type))} (got ${got})`, hint);
    case 'enum':
      return problemAt(doc, path, `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${got})`);
    case 'pattern':
    case 'maxLength':
    case 'minLength':
      return problemAt(doc, path, `${got} is not valid`, hint ?? e.message);
    case 'minimum':
    case 'maximum':
      return problemAt(doc, path, `${got} is out of range: ${e.message ?? ''}`.trim(), hint);
    case 'minItems':
    case 'maxItems':
    case 'minProperties':
    case 'maxProperties':
      return problemAt(doc, path, explainCount(e), hint);
    default:
      return problemAt(doc, path, e.message ?? `fails ${e.keyword}`, hint);
  }
}

function explainCount(e: ErrorObject): string {
  const limit = Number(e.params.limit);
  switch (e.keyword) {
    case 'minItems':
      return `needs at least ${limit} item${limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `takes at most ${limit} items`;
    case 'minProperties':
      return limit === 1 ? 'must not be empty' : `needs at least ${limit} keys`;
    default:
      return `takes exactly one of its keys, not ${Object.keys(e.data as object).length}`;
  }
}

function describe(schema: unknown): string | undefined {
  if (schema && typeof schema === 'object' && 'description' in schema) {
    return `expected ${String((schema as { description: unknown }).description)}`;
  }
  return undefined;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function shortValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…"` : text;
}

function dedupe(problems: LabProblem[]): LabProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.position.line}:${p.position.col}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

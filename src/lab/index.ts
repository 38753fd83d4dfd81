import { readFile } from 'node:fs/promises';
import { LabFileError, UsageError, type LabProblem } from '../errors.js';
import { parseLabText, problemAt } from './document.js';
import type { RawLab } from './raw.js';
import { resolveLab } from './resolve.js';
import { checkSchema } from './schema.js';
import type { Lab } from './types.js';

export type LoadResult = { ok: true; lab: Lab } | { ok: false; problems: LabProblem[] };

/**
 * Text → Lab, through the three phases of DESIGN.md: YAML syntax, schema, then
 * semantic rules with resolution. Each phase reports all its problems, and a
 * phase runs only when the one before it found none.
 */
export function loadLabText(file: string, text: string): LoadResult {
  const doc = parseLabText(file, text);
  if (doc.problems.length > 0) return { ok: false, problems: doc.problems };
  const schemaProblems = checkSchema(doc);
  if (schemaProblems.length > 0) return { ok: false, problems: byPosition(schemaProblems) };
  const resolved = resolveLab(doc.data as RawLab, file);
  if (!resolved.ok) {
    const problems = resolved.problems.map((p) => problemAt(doc, p.path, p.message, p.hint));
    return { ok: false, problems: byPosition(problems) };
  }
  return resolved;
}

/** Reads and resolves a lab file; throws LabFileError (exit 2) with every problem. */
export async function loadLab(file: string): Promise<Lab> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : ((e as Error).message ?? String(e));
    throw new UsageError(`${file}: ${why}`);
  }
  const result = loadLabText(file, text);
  if (!result.ok) throw new LabFileError(result.problems);
  return result.lab;
}

/** Problems in the order a reader meets them in the file (stable for ties). */
function byPosition(problems: LabProblem[]): LabProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.position.line - b.p.position.line || a.p.position.col - b.p.position.col || a.i - b.i)
    .map(({ p }) => p);
}

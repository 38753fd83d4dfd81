import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { LabFileError, UsageError, type LabProblem } from '../errors.js';
import { parseConflist, type Conflist } from './conflist.js';
import { parseLabText, problemAt } from './document.js';
import type { RawLab } from './raw.js';
import { resolveLab } from './resolve.js';
import { MAX_LAB_FILE_BYTES } from './limits.js';
import { checkSchema } from './schema.js';
import type { Lab } from './types.js';

export type LoadResult = { ok: true; lab: Lab } | { ok: false; problems: LabProblem[] };

/**
 * Text → Lab, through the three phases of docs/architecture.md: YAML syntax, schema, then
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
  const warnings = byPosition(resolved.warnings.map((p) => problemAt(doc, p.path, p.message, p.hint)));
  return { ok: true, lab: { ...resolved.lab, sourceText: text, warnings } };
}

/** Reads and resolves a lab file; throws LabFileError (exit 2) with every problem. */
export async function loadLab(file: string): Promise<Lab> {
  const result = loadLabText(file, await readLabFile(file));
  if (!result.ok) throw new LabFileError(result.problems);
  return result.lab;
}

/** What a file netlab reads may be, and what to call it in an error. */
export interface InputLimits {
  maxBytes: number;
  /** `a lab file`, `a JUnit report`. */
  what: string;
  /** What such a file is, for the error about a FIFO or a device. */
  kind: string;
}

const LAB_FILE: InputLimits = { maxBytes: MAX_LAB_FILE_BYTES, what: 'a lab file', kind: 'a YAML file on disk' };

/** The text of a lab file (or a conflist it names), by the rules of readInputFile. */
export function readLabFile(file: string): Promise<string> {
  return readInputFile(file, LAB_FILE);
}

/**
 * The text of a file netlab reads, refusing what is not a regular file of a
 * sane size before reading it: a FIFO would block forever, /dev/urandom never
 * ends. O_NONBLOCK makes opening a FIFO return at once; the checks run on
 * the opened file itself, so nothing can be swapped in between.
 */
export async function readInputFile(file: string, limits: InputLimits): Promise<string> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : ((e as Error).message ?? String(e));
    throw new UsageError(`${file}: ${why}`);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new UsageError(`${file}: is a directory`);
    if (!info.isFile()) throw new UsageError(`${file}: not a regular file (${limits.what} is ${limits.kind})`);
    const tooLarge = `larger than ${limits.what} may be (${limits.maxBytes} bytes)`;
    if (info.size > limits.maxBytes) throw new UsageError(`${file}: ${info.size} bytes is ${tooLarge}`);
    // Read at most one byte past its size: a file that grows while read is caught, not cut.
    const buffer = Buffer.alloc(Math.min(info.size, limits.maxBytes) + 1);
    let bytesRead = 0;
    for (let n = -1; n !== 0 && bytesRead < buffer.length; bytesRead += n)
      n = (await handle.read(buffer, bytesRead, buffer.length - bytesRead, bytesRead)).bytesRead;
    if (bytesRead > limits.maxBytes) throw new UsageError(`${file}: ${tooLarge}`);
    if (bytesRead > info.size) throw new UsageError(`${file}: grew while it was read; read it again when it is written`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Problems in the order a reader meets them in the file (stable for ties). */
function byPosition(problems: LabProblem[]): LabProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.position.line - b.p.position.line || a.p.position.col - b.p.position.col || a.i - b.i)
    .map(({ p }) => p);
}

/** Reads and validates a lab's conflist file (network.cni.conflist); throws LabFileError (exit 2) with its problems. */
export async function loadConflist(file: string): Promise<Conflist> {
  const parsed = parseConflist(file, await readLabFile(file));
  if (!parsed.ok) throw new LabFileError(parsed.problems);
  return parsed.conflist;
}

/** The conflist a lab's plan needs, if it attaches pods with one of the user's. */
export async function conflistFor(lab: Lab): Promise<Conflist | undefined> {
  return lab.network.cni.kind === 'conflist' ? loadConflist(lab.network.cni.file) : undefined;
}

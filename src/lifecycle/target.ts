import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { labNameProblem } from '../lab/names.js';
import type { Lab } from '../lab/types.js';
import { readState } from '../state/store.js';

/** A lab name from the command line, refused unless it is one netlab could have made. */
export function checkedLabName(name: string): string {
  const problem = labNameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}

/** `FILE-OR-LAB` names a file when it looks like a path or a YAML file, or is one. */
export function isLabFile(target: string): boolean {
  return /\.ya?ml$/i.test(target) || target.includes('/') || (existsSync(target) && statSync(target).isFile());
}

/** `FILE-OR-LAB`: a path to a lab file gives that file's lab name. */
export async function labNameOf(target: string): Promise<string> {
  if (isLabFile(target)) {
    // Loaded only for a file: `netlab down LAB` should not pay for the YAML and schema machinery.
    const { loadLab } = await import('../lab/index.js');
    return (await loadLab(target)).name;
  }
  return checkedLabName(target);
}

/** The lab running under this name, as its state records it; a usage error when it is not up. */
export async function runningLab(name: string, hint = ''): Promise<Lab> {
  const read = await readState(checkedLabName(name));
  if (read.kind === 'ok') return read.state.lab;
  throw new UsageError(
    read.kind === 'missing'
      ? `lab "${name}" is not up${hint}`
      : `lab "${name}": its state file is damaged (${read.reason}); \`netlab up FILE\` rebuilds it, \`netlab down ${name}\` removes it`,
  );
}

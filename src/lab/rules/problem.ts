import type { DocPath } from '../path.js';

/** A problem found by a rule: positions are added by the loader, so rules stay pure. */
export interface RuleProblem {
  path: DocPath;
  message: string;
  hint?: string;
}

export function problem(path: DocPath, message: string, hint?: string): RuleProblem {
  return hint ? { path, message, hint } : { path, message };
}

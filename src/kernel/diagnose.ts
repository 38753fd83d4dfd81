import { quote } from '../plan/shell.js';
import { run } from './run.js';

/** A read-only look at kernel state, to explain a failure. */
export interface Lookup {
  tool: 'ip' | 'bridge';
  netns: string;
  args: string[];
}

/** Runs lookups in order; each becomes `$ command` followed by what it printed. */
export async function lookUp(lookups: Lookup[]): Promise<string[]> {
  const lines: string[] = [];
  for (const l of lookups) {
    const r = await run(l.tool, ['-n', l.netns, ...l.args]);
    lines.push(`$ ${quote([l.tool, '-n', l.netns, ...l.args])}`);
    const out = `${r.stdout}${r.stderr}`.trimEnd();
    lines.push(...(out ? out.split('\n') : ['(nothing)']));
  }
  return lines;
}

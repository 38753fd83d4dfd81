import { KernelError } from '../errors.js';
import { requireTools } from './preflight.js';
import { run } from './run.js';

/** DOT → SVG (or PNG) with Graphviz's `dot`; exit 3 with the install hint when it is missing. */
export async function renderDot(dot: string, format: 'svg' | 'png'): Promise<string> {
  await requireTools([{ program: 'dot', pkg: 'graphviz', why: 'netlab graph draws SVG with it' }]);
  const r = await run('dot', [`-T${format}`], { input: dot });
  if (r.exitCode !== 0) throw new KernelError(`Graphviz's dot failed (exit ${r.exitCode}): ${r.stderr.trim() || 'no message'}`);
  return r.stdout;
}

import { writeFile } from 'node:fs/promises';
import { labToDot } from '../../graph/dot.js';
import { labToMermaid } from '../../graph/mermaid.js';
import { loadLab } from '../../lab/index.js';
import type { Lab } from '../../lab/types.js';
import { renderDot } from '../../kernel/graphviz.js';
import { checkOutputFile } from '../../lifecycle/output-file.js';
import { isLabFile, runningLab } from '../target.js';

/** `netlab graph FILE-OR-LAB [--format svg|mermaid|dot] [-o PATH]`: a picture of the lab. */
export async function graph(inv: { target: string; format: 'svg' | 'mermaid' | 'dot'; output: string | undefined }): Promise<number> {
  if (inv.output) await checkOutputFile(inv.output);
  const lab = await labOf(inv.target);
  const text = inv.format === 'mermaid' ? labToMermaid(lab) : inv.format === 'dot' ? labToDot(lab) : await renderDot(labToDot(lab), 'svg');
  if (inv.output) await writeFile(inv.output, text);
  else process.stdout.write(text);
  return 0;
}

/** A lab file is read as written; a lab name is taken from what is up. */
async function labOf(target: string): Promise<Lab> {
  if (isLabFile(target)) return loadLab(target);
  return runningLab(target, '; give its lab file instead');
}

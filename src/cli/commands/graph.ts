import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { labToDot } from '../../graph/dot.js';
import { labToMermaid } from '../../graph/mermaid.js';
import { loadLab } from '../../lab/index.js';
import type { Lab } from '../../lab/types.js';
import { renderDot } from '../../kernel/graphviz.js';
import { readState } from '../../state/store.js';
import { checkedLabName, isLabFile } from '../target.js';

/** `netlab graph FILE-OR-LAB [--format svg|mermaid|dot] [-o PATH]`: a picture of the lab. */
export async function graph(inv: { target: string; format: 'svg' | 'mermaid' | 'dot'; output: string | undefined }): Promise<number> {
  const lab = await labOf(inv.target);
  const text = inv.format === 'mermaid' ? labToMermaid(lab) : inv.format === 'dot' ? labToDot(lab) : await renderDot(labToDot(lab), 'svg');
  if (inv.output) await writeFile(inv.output, text);
  else process.stdout.write(text);
  return 0;
}

/** A lab file is read as written; a lab name is taken from what is up. */
async function labOf(target: string): Promise<Lab> {
  if (isLabFile(target)) return loadLab(target);
  const name = checkedLabName(target);
  const read = await readState(name);
  if (read.kind !== 'ok') throw new UsageError(`lab "${name}" is not up; give its lab file instead`);
  return read.state.lab;
}

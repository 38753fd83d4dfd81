import { picture } from '../../lifecycle/files.js';

/** `netlab graph FILE-OR-LAB [--format svg|mermaid|dot] [-o PATH]`: a picture of the lab. */
export async function graph(inv: { target: string; format: 'svg' | 'mermaid' | 'dot'; output: string | undefined }): Promise<number> {
  const text = await picture(inv.target, inv.format, inv.output);
  if (text !== undefined) process.stdout.write(text);
  return 0;
}

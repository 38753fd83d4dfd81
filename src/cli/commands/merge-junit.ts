import { mergeReports } from '../../lifecycle/files.js';

/** `netlab merge-junit -o ALL.xml SHARD.xml…`: one report from the shards of a CI matrix. Needs no root. */
export async function mergeJunitFiles(inv: { output: string; inputs: string[] }): Promise<number> {
  const { tests, failed } = await mergeReports(inv.output, inv.inputs);
  process.stdout.write(`merged ${inv.inputs.length} reports into ${inv.output}: ${tests} tests, ${failed} failed\n`);
  return 0;
}

import { readFile, writeFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { mergeJunit } from '../../checks/report/merge-junit.js';

/** `netlab merge-junit -o ALL.xml SHARD.xml…`: one report from the shards of a CI matrix. Needs no root. */
export async function mergeJunitFiles(inv: { output: string; inputs: string[] }): Promise<number> {
  const reports = [];
  for (const name of inv.inputs) {
    const xml = await readFile(name, 'utf8').catch((e: Error) => {
      throw new UsageError(`${name}: ${e.message}`);
    });
    reports.push({ name, xml });
  }
  let merged: string;
  try {
    merged = mergeJunit(reports);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await writeFile(inv.output, merged);
  const tests = /<testsuites[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"/.exec(merged);
  process.stdout.write(`merged ${reports.length} reports into ${inv.output}${tests ? `: ${tests[1]} tests, ${tests[2]} failed` : ''}\n`);
  return 0;
}

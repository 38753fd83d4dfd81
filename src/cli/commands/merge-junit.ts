import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { mergeJunit } from '../../checks/report/merge-junit.js';
import { readInputFile } from '../../lab/index.js';
import { checkOutputFile } from '../../lifecycle/output-file.js';

/** A shard's report: 50,000 conformance cases take about 15 MB. */
const JUNIT_REPORT = { maxBytes: 64 * 1024 * 1024, what: 'a JUnit report', kind: 'an XML file on disk' };

/** `netlab merge-junit -o ALL.xml SHARD.xml…`: one report from the shards of a CI matrix. Needs no root. */
export async function mergeJunitFiles(inv: { output: string; inputs: string[] }): Promise<number> {
  await checkOutputFile(inv.output);
  const reports = [];
  for (const name of inv.inputs) reports.push({ name, xml: await readInputFile(name, JUNIT_REPORT) });
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

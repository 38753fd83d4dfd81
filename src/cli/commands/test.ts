import { writeFile } from 'node:fs/promises';
import { formatConformance, formatResult, formatSummary } from '../../checks/report/text.js';
import { toJson } from '../../checks/report/json.js';
import { toJunit } from '../../checks/report/junit.js';
import { summarize } from '../../checks/report/summary.js';
import { ExitCode } from '../../errors.js';
import { printable } from '../../printable.js';
import { loadLabFile } from '../../lifecycle/files.js';
import { silentProgress } from '../../lifecycle/progress.js';
import { checkOutputFile } from '../../lifecycle/output-file.js';
import { testLab } from '../../lifecycle/test.js';
import { interactive, listrProgress } from '../progress.js';
import type { Invocation } from '../parse.js';
import { liveView, plainView } from '../test-view.js';

/** `netlab test FILE [--junit P] [--json] [--only NAME]`: exit 0 all passed, 1 any failed. */
export async function test(inv: Extract<Invocation, { command: 'test' }>): Promise<number> {
  const lab = await loadLabFile(inv.file);
  if (inv.junit) await checkOutputFile(inv.junit);
  const out = (s: string) => process.stdout.write(s);
  const view = inv.json ? undefined : interactive() ? liveView() : plainView(out);
  const run = await testLab(lab, {
    ...(inv.only !== undefined ? { only: inv.only } : {}),
    ...(inv.shard ? { shard: inv.shard } : {}),
    cniPaths: inv.cniPaths,
    concurrency: inv.concurrency,
    progress: inv.json ? silentProgress : listrProgress(),
    onChecks: (checks) => view?.start(checks),
    onResult: (i, r) => view?.result(i, r),
    onDamage: (differences) => {
      process.stderr.write(`netlab: lab "${lab.name}" differs from its plan; testing it as it is (\`netlab up\` repairs it):\n`);
      for (const d of differences.slice(0, 10)) process.stderr.write(`  ! ${printable(d)}\n`);
    },
    onWait: (holder) => process.stderr.write(`netlab: waiting for ${holder} to finish with lab "${lab.name}"…\n`),
  });
  await view?.finish();
  const summary = summarize(run.results);
  if (inv.junit) await writeFile(inv.junit, toJunit(lab.name, run.results));
  if (inv.json) {
    out(toJson(lab.name, run.results, run.seconds));
  } else {
    const failedCases = run.results.filter((r) => r.kind === 'conformance' && r.status === 'failed');
    // The live view shows conformance as one task: its failures are listed here.
    if (view && interactive()) for (const r of failedCases.slice(0, 20)) out(`${formatResult(r)}\n`);
    if (failedCases.length > 20) out(`… and ${failedCases.length - 20} more failed conformance cases (see --json or --junit)\n`);
    for (const line of formatConformance(summary)) out(`${line}\n`);
    out(`${formatSummary(summary, run.seconds)}${run.broughtUp ? `; lab "${lab.name}" was brought up for the tests and taken down again` : ''}\n`);
    if (inv.shard) out(`shard ${inv.shard.index}/${inv.shard.total}: ${run.checks.length} of the lab's ${run.total} tests\n`);
    if (inv.junit) out(`JUnit report: ${inv.junit}\n`);
  }
  return summary.failed > 0 ? ExitCode.testFailed : ExitCode.ok;
}

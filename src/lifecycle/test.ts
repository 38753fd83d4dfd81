import { UsageError } from '../errors.js';
import { resolveChecks } from '../checks/resolve.js';
import { runChecks } from '../checks/run.js';
import type { Check, TestResult } from '../checks/types.js';
import { diffNetworks } from '../lab/diff.js';
import type { Lab } from '../lab/types.js';
import { LAB_TOOLS, PING, TCPDUMP, preflight } from '../kernel/preflight.js';
import { acquireLock } from '../state/lock.js';
import { readState } from '../state/store.js';
import type { Progress } from './progress.js';
import { tearDownLab } from './teardown.js';
import { bringUp, differentNetwork, isComplete } from './up.js';

export interface TestOptions {
  only?: string;
  concurrency: number;
  progress: Progress;
  /** Called once the checks are known, before any runs. */
  onChecks?: (checks: Check[]) => void;
  onResult?: (index: number, result: TestResult) => void;
}

export interface TestRun {
  checks: Check[];
  results: TestResult[];
  broughtUp: boolean;
  seconds: number;
}

/** The tools the checks run, on top of the lab's own. */
const CHECK_TOOLS = [...LAB_TOOLS, PING, TCPDUMP];

/** Keeps the checks whose name contains `only` (case-insensitive); none is a usage error. */
export function selectChecks(checks: Check[], only: string | undefined): Check[] {
  if (only === undefined) return checks;
  const needle = only.toLowerCase();
  const chosen = checks.filter((c) => c.name.toLowerCase().includes(needle));
  if (chosen.length === 0) {
    const names = [...new Set(checks.map((c) => (c.kind === 'conformance' ? 'conformance: …' : c.name)))];
    throw new UsageError(`no test name contains "${only}"; the tests are:\n${names.map((n) => `  ${n}`).join('\n')}`);
  }
  return chosen;
}

/**
 * Runs the lab's tests. A lab that is not up is brought up first and taken
 * down after, whatever happens; a lab that was already up stays up.
 */
export async function testLab(lab: Lab, options: TestOptions): Promise<TestRun> {
  const checks = selectChecks(resolveChecks(lab), options.only);
  if (checks.length === 0) throw new UsageError(`${lab.source}: the lab has no tests`);
  await preflight(CHECK_TOOLS);
  const started = performance.now();
  const current = await readState(lab.name);
  const wasUp = current.kind === 'ok' && current.state.status === 'up';
  let running = false;
  if (current.kind === 'ok' && current.state.status === 'up') {
    const differences = diffNetworks(current.state.lab, lab);
    if (differences.length > 0) throw differentNetwork(lab, differences);
    running = await isComplete(current.state);
  }
  let broughtUp = false;
  // A lab that was up but damaged is repaired, and stays up afterwards like any lab that was up.
  if (!running) broughtUp = (await bringUp(lab, { recreate: false, progress: options.progress })).changed && !wasUp;
  options.onChecks?.(checks);
  try {
    const results = await runChecks(lab, checks, { concurrency: options.concurrency, ...(options.onResult ? { onResult: options.onResult } : {}) });
    return { checks, results, broughtUp, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (broughtUp) {
      const lock = await acquireLock(lab.name);
      try {
        await tearDownLab(lab.name);
      } finally {
        await lock.release();
      }
    }
  }
}

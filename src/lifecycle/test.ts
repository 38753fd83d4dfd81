import { ExitCode, NetlabError, UsageError } from '../errors.js';
import { labNamespaces } from '../lab/endpoints.js';
import { resolveChecks } from '../checks/resolve.js';
import { runChecks } from '../checks/run.js';
import type { Check, TestResult } from '../checks/types.js';
import { diffNetworks } from '../lab/diff.js';
import type { Lab } from '../lab/types.js';
import { listNetlabNetns } from '../kernel/netns.js';
import { preflight } from '../kernel/preflight.js';
import { checkTools } from '../checks/needs.js';
import { shardOf, type Shard } from '../checks/shard.js';
import { acquireLock } from '../state/lock.js';
import { labDir } from '../state/paths.js';
import { openTestEvents } from '../state/test-events.js';
import { readState } from '../state/store.js';
import type { Progress } from './progress.js';
import { tearDownLab } from './teardown.js';
import { watcher } from './watch.js';
import { collectGarbage } from '../memory.js';
import { bringUp, differentNetwork } from './up.js';

export interface TestOptions {
  only?: string;
  /** Only this part of the tests (a CI matrix). */
  shard?: Shard;
  /** Plugin directories allowed beside the packaged ones (--cni-path). */
  cniPaths?: string[];
  concurrency: number;
  progress: Progress;
  /** Called once the checks are known, before any runs. */
  onChecks?: (checks: Check[]) => void;
  onResult?: (index: number, result: TestResult) => void;
  /** Told, before any check runs, how a running lab differs from its plan. */
  onDamage?: (differences: string[]) => void;
  /** Told when another netlab holds the lab and the tests wait for it. */
  onWait?: (holder: string) => void;
}

export interface TestRun {
  checks: Check[];
  /** How many tests the lab has in all (more than `checks` in a shard). */
  total: number;
  results: TestResult[];
  broughtUp: boolean;
  seconds: number;
}

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

/** The lab was removed (or damaged) while its tests ran: their failures say nothing about its network. */
export class LabGoneError extends NetlabError {
  constructor(lab: string, missing: number) {
    super(`lab "${lab}" went away while its tests ran (${missing} of its namespaces are gone); the results are void`, ExitCode.kernel);
  }
}

/**
 * Runs the lab's tests. A lab that is not up is brought up first and taken
 * down after, whatever happens; a lab that was already up stays up. The tests
 * hold the lab's lock shared: other tests may run beside them, while `up` and
 * `down` wait until they have finished.
 */
export async function testLab(lab: Lab, options: TestOptions): Promise<TestRun> {
  const all = selectChecks(resolveChecks(lab), options.only);
  if (all.length === 0) throw new UsageError(`${lab.source}: the lab has no tests`);
  const checks = options.shard ? shardOf(all, options.shard) : all;
  // More shards than tests: this machine has nothing to do, and need not build the lab for it.
  if (checks.length === 0) return { checks, total: all.length, results: [], broughtUp: false, seconds: 0 };
  await preflight(checkTools(checks));
  const started = performance.now();
  const lockOptions = { mode: 'shared' as const, ...(options.onWait ? { onWait: options.onWait } : {}) };
  // A running lab is read only under the shared lock: a `down` begun meanwhile must not be taken for damage.
  let shared = (await isUp(lab.name)) ? await acquireLock(lab.name, lockOptions) : undefined;
  let broughtUp = false;
  try {
    const current = await readState(lab.name);
    const wasUp = current.kind === 'ok' && current.state.status === 'up';
    if (!wasUp) {
      await shared?.release();
      shared = undefined;
    }
    if (current.kind === 'ok' && wasUp) {
      const differences = diffNetworks(current.state.lab, lab);
      if (differences.length > 0) throw differentNetwork(lab, differences);
      // Tested as it is, damage included: a conformance gate must never repair what it
      // checks. Its differences from the plan are reported first (`up` repairs them).
      const drift = (await watcher.drift(current.state)).missing.filter((d) => !d.dependent).map((d) => d.what);
      if (JSON.stringify(current.state.lab.policies) !== JSON.stringify(lab.policies)) drift.push("the file's NetworkPolicies are not the running lab's");
      if (drift.length > 0) options.onDamage?.(drift);
    } else {
      // A lab that is not up is built for the tests, and removed after them.
      broughtUp = (
        await bringUp(lab, {
          recreate: false,
          // Built to be tested and removed: nobody will ask it for its status.
          watch: false,
          progress: options.progress,
          ...(options.onWait ? { onWait: options.onWait } : {}),
          ...(options.cniPaths ? { cniPaths: options.cniPaths } : {}),
        })
      ).changed;
      shared = await acquireLock(lab.name, lockOptions);
    }
    await expectLabPresent(lab);
    options.onChecks?.(checks);
    // `netlab ui` follows the run from these lines: each test as it ends.
    const events = openTestEvents(lab.name);
    const run = `${process.pid}-${Date.now()}`;
    events.write({ run, event: 'start', at: new Date().toISOString(), tests: checks.map((c) => ({ name: c.name, kind: c.kind })) });
    // What the start left (the plan, the drift read) goes before the results come.
    collectGarbage();
    const results = await runChecks(lab, checks, {
      concurrency: options.concurrency,
      stateDir: labDir(lab.name),
      onResult: (index, r) => {
        events.write({ run, event: 'result', index, name: r.name, kind: r.kind, status: r.status, message: r.message, durationMs: r.durationMs });
        options.onResult?.(index, r);
      },
    });
    const passed = results.filter((r) => r.status === 'passed').length;
    events.write({ run, event: 'end', passed, failed: results.length - passed, seconds: (performance.now() - started) / 1000 });
    await expectLabPresent(lab);
    return { checks, total: all.length, results, broughtUp, seconds: (performance.now() - started) / 1000 };
  } finally {
    // Whatever ended the run (a failure, a crash of a check): the shared lock goes, then what the run built.
    await shared?.release();
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

/** Whether the lab's state says it is up (read without a lock: only to decide whether to take the shared one). */
async function isUp(name: string): Promise<boolean> {
  const read = await readState(name);
  return read.kind === 'ok' && read.state.status === 'up';
}

/** Every namespace of the lab exists; else the lab went away under us (a `down` between up and the tests, or by hand). */
async function expectLabPresent(lab: Lab): Promise<void> {
  const present = new Set(await listNetlabNetns(lab.name));
  const wanted = labNamespaces(lab);
  const missing = wanted.filter((n) => !present.has(n)).length;
  if (missing > 0) throw new LabGoneError(lab.name, missing);
}

import { describeBackend } from '../lab/describe-backend.js';
import { resolve as resolvePath } from 'node:path';
import { KernelError, UsageError } from '../errors.js';
import { diffNetworks } from '../lab/diff.js';
import type { Lab } from '../lab/types.js';
import { applyWave, DEFAULT_CONCURRENCY } from '../kernel/apply.js';
import { listNetns } from '../kernel/netns.js';
import { requireNeeds, requireRoot } from '../kernel/preflight.js';
import type { Conflist } from '../lab/conflist.js';
import { conflistFor } from '../lab/index.js';
import { planNeeds } from '../plan/needs.js';
import { planLab } from '../plan/index.js';
import type { Op, Plan } from '../plan/ops.js';
import { wavesOf, type Wave } from '../plan/waves.js';
import { acquireLock } from '../state/lock.js';
import { readState, writeState, type LabState } from '../state/store.js';
import { InterruptedError, watchInterrupts } from './interrupt.js';
import { RollbackError } from './rollback.js';
import type { Progress } from './progress.js';
import { labDrift, planContext, planOf, reloadGateways, reloadIngresses, reloadPolicies, repairLab } from './drift.js';
import { watcher } from './watch.js';
import { tearDownLab } from './teardown.js';

export interface UpOptions {
  recreate: boolean;
  progress: Progress;
  /** Namespaces handled at once; DEFAULT_CONCURRENCY unless told. */
  concurrency?: number;
  /** Told when another netlab holds the lab and `up` waits for it. */
  onWait?: (holder: string) => void;
  /** Plugin directories the person running netlab allows (--cni-path), beside the packaged ones. */
  cniPaths?: string[];
  /**
   * Whether the lab runs a watcher for `status` (`up --watch`, `up --no-watch`, and false for `test` building
   * a lab it removes after). Unset: as the last `up` chose, else from plan/watch.ts WATCH_FROM_PODS pods,
   * where reading every namespace misses `status`'s 1 s. Its cost falls on the whole host: docs/performance.md.
   */
  watch?: boolean;
  /** Told what went wrong without failing `up` (a watcher that would not start). */
  onWarning?: (message: string) => void;
}

export type UpResult =
  | { changed: false; state: LabState }
  | { changed: true; state: LabState; plan: Plan; seconds: number }
  | { changed: true; state: LabState; repaired: string[]; seconds: number }
  | { changed: true; state: LabState; policies: string; seconds: number };

/**
 * Builds a lab, or leaves it be when the same network is already up and the
 * kernel still holds all of it. A running lab that differs from its plan (a
 * device deleted by hand, a dead runtime) is repaired in place: only what
 * differs is touched. `recreate` rebuilds from nothing. Any failure or signal
 * during a build rolls back everything this run made.
 */
export async function bringUp(lab: Lab, options: UpOptions): Promise<UpResult> {
  requireRoot();
  const conflist = await conflistFor(lab);
  // What the plan needs of the machine (programs, kernel features, CNI plugins) is checked before anything is made.
  const plan = planLab(lab, planContext(lab.name, conflist));
  await requireNeeds(planNeeds(lab, plan), options.cniPaths ?? []);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const lock = await acquireLock(lab.name, options.onWait ? { onWait: options.onWait } : {});
  try {
    const current = await readState(lab.name);
    if (current.kind === 'ok' && current.state.status === 'up') {
      const differences = diffNetworks(current.state.lab, lab);
      if (differences.length > 0 && !options.recreate) throw differentNetwork(lab, differences);
      if (differences.length === 0 && !options.recreate) {
        const started = performance.now();
        // NetworkPolicies edited in the file: the running lab takes them, no pod touched ("should enforce updated policy").
        // Ingresses likewise: nginx reads its new configuration, no connection cut.
        const policies = JSON.stringify(current.state.lab.policies) !== JSON.stringify(lab.policies);
        const ingresses = JSON.stringify(current.state.lab.ingress.ingresses) !== JSON.stringify(lab.ingress.ingresses);
        const routes = JSON.stringify(current.state.lab.gateway) !== JSON.stringify(lab.gateway);
        if (policies || ingresses || routes) {
          const said = [
            ...(policies ? [await reloadPolicies(current.state, lab, concurrency)] : []),
            ...(ingresses ? [await reloadIngresses(current.state, lab)] : []),
            ...(routes ? [await reloadGateways(current.state, lab)] : []),
          ];
          await writeState(current.state);
          return { changed: true, state: current.state, policies: said.join('; '), seconds: (performance.now() - started) / 1000 };
        }
        // The running lab's plan, made once for the drift, the repair and the watcher (10,000 pods: 0.1 s each).
        const running = planOf(current.state);
        const drift = await labDrift(current.state, running);
        const watch = watcher.wanted(options.watch, current.state, running);
        if (drift.missing.length === 0 && drift.wrong.length === 0) {
          const settled = await watcher.settle(current.state, running, watch);
          warn(options, settled.warning);
          if (settled.changed) await writeState(current.state);
          return { changed: false, state: current.state };
        }
        await watcher.stop(current.state);
        const repaired = await repairLab(current.state, drift, concurrency, running);
        if (watch) warn(options, await watcher.start(current.state, running));
        await writeState(current.state);
        return { changed: true, state: current.state, repaired, seconds: (performance.now() - started) / 1000 };
      }
      await tearDownLab(lab.name);
    } else if (current.kind !== 'missing') {
      // A build that died (SIGKILL, power) or whose state got damaged: what is there is ours.
      await tearDownLab(lab.name);
    }
    return await build(lab, options, concurrency, plan, conflist);
  } finally {
    await lock.release();
  }
}

/** The index of the last wave with an op in one of `namespaces`, or -1. */
function lastWaveTouching(waves: Wave[], namespaces: ReadonlySet<string>): number {
  const touches = (op: Op) =>
    ('netns' in op && namespaces.has(op.netns)) ||
    (op.kind === 'link.add.veth' && namespaces.has(op.peer.netns)) ||
    (op.kind === 'cni.add' && namespaces.has(op.podNetns));
  let last = -1;
  waves.forEach((w, i) => {
    if (w.stages.some((s) => s.ops.some(touches))) last = i;
  });
  return last;
}

function warn(options: UpOptions, message: string | undefined): void {
  if (message) options.onWarning?.(message);
}

/** The lab running under this name is not the one in the file. */
export function differentNetwork(lab: Lab, differences: string[]): UsageError {
  return new UsageError(
    `lab "${lab.name}" is already up with a different network:\n${differences.map((d) => `  ${d}`).join('\n')}\n` +
      `run \`netlab up --recreate ${lab.source}\` to rebuild it, or \`netlab down ${lab.name}\` first`,
  );
}

async function build(lab: Lab, options: UpOptions, concurrency: number, plan: Plan, conflist: Conflist | undefined): Promise<UpResult> {
  const started = performance.now();
  const planned = new Set(plan.stages.flatMap((s) => s.ops.flatMap((op) => (op.kind === 'netns.add' ? [op.netns] : []))));
  const existing = (await listNetns()).filter((n) => planned.has(n));
  if (existing.length > 0) {
    throw new KernelError(
      `namespace ${existing[0]} already exists and netlab did not make it${existing.length > 1 ? ` (and ${existing.length - 1} more)` : ''}; ` +
        `netlab leaves it alone: if it is a leftover of this lab, \`netlab down ${lab.name}\` removes it`,
    );
  }
  const state: LabState = {
    status: 'building',
    lab,
    file: resolvePath(lab.source),
    pid: process.pid,
    createdAt: new Date().toISOString(),
    ...(conflist ? { conflist } : {}),
  };
  await writeState(state);
  const interrupts = watchInterrupts();
  const waves = wavesOf(plan.stages);
  // The watcher starts once the last wave that touches a pod it watches is done, while the others run.
  const watch = watcher.wanted(options.watch, undefined, plan);
  const lastForPods = watch ? lastWaveTouching(waves, new Set(watcher.watched(plan))) : -1;
  let watching: Promise<string | undefined> | undefined;
  try {
    await options.progress.run([
      ...waves.map((wave, i) => ({
        title: wave.title,
        run: async () => {
          const signal = interrupts.received();
          if (signal) throw new InterruptedError(signal);
          const outcome = await applyWave(wave, concurrency);
          if (outcome.agent) state.agent = outcome.agent;
          if (i === lastForPods) watching = watcher.start(state, plan);
        },
      })),
      // Last: the lab as built is the baseline `status` compares with.
      ...(watch ? [{ title: 'Watch the pods for changes', run: async () => warn(options, await (watching ?? watcher.start(state, plan))) }] : []),
    ]);
    const signal = interrupts.received();
    if (signal) throw new InterruptedError(signal);
    state.status = 'up';
    await writeState(state);
  } catch (e) {
    const signal = interrupts.received();
    const failure = signal && !(e instanceof InterruptedError) ? new InterruptedError(signal) : e;
    // A watcher still starting would escape the teardown, which finds processes by their namespace.
    await watching;
    try {
      await tearDownLab(lab.name, planned);
    } catch (undo) {
      throw new RollbackError(failure, undo, lab.name);
    }
    throw failure;
  } finally {
    interrupts.dispose();
  }
  return { changed: true, state, plan, seconds: (performance.now() - started) / 1000 };
}

/** A lab's size in words, for what `up` says: `2 nodes, 4 pods, vxlan (flannel.1, VNI 1, UDP 8472)`. */
export function describeSize(lab: Lab): string {
  const { nodes, pods, network } = lab;
  return `${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${pods.length} pod${pods.length === 1 ? '' : 's'}, ${describeBackend(network.backend, false)}`;
}

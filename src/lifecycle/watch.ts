import { endProcesses } from '../kernel/processes.js';
import { askWatcher, startWatcher } from '../kernel/watch.js';
import { isSameProcess, startTime } from '../pid.js';
import type { Plan } from '../plan/ops.js';
import { observeNamespaces } from '../kernel/observe.js';
import { findDrift, whatToRead, type LabDrift } from '../plan/drift.js';
import type { NamespaceQuery } from '../plan/live.js';
import { unwatchedQuery, watchConfig, watchedDigest, watchFiles, watchedNamespaces, type WatchReport } from '../plan/watch.js';
import { readStatusQuery, writeStatusQuery } from '../state/status-query.js';
import { HELPER_PROTOCOL } from '../runtime-path.js';
import { labDir } from '../state/paths.js';
import type { LabState } from '../state/store.js';
import type { HeadStart, Vouched } from './watch-answer.js';

export type { HeadStart, Vouched };
import { observeLab, planOf } from './drift.js';

/**
 * Starts the lab's watcher afresh (ending the one before): the kernel as it
 * is now becomes its baseline, so the caller must have just built the lab
 * or found it as planned.
 */
async function watchLab(state: LabState, plan: Plan): Promise<void> {
  await stopWatching(state);
  const dir = labDir(state.lab.name);
  const files = watchFiles(dir);
  const config = watchConfig(plan, dir, HELPER_PROTOCOL);
  await writeStatusQuery(state.lab.name, unwatchedQuery(whatToRead(plan), new Set(config.namespaces.map((n) => n.netns))).text);
  const pid = await startWatcher(state.lab.fabric.netns, config, files.config, files.log);
  state.watcher = { pid, start: startTime(pid) ?? '?' };
}

/**
 * watchLab, whose failure costs the lab nothing: the watcher only spares
 * `status` reading what did not change. Returns why none runs (`status`
 * then reads everything), or undefined when it runs.
 */
export async function watchLabIfAble(state: LabState, plan: Plan): Promise<string | undefined> {
  try {
    await watchLab(state, plan);
    return undefined;
  } catch (e) {
    delete state.watcher;
    return `no watcher for \`netlab status\`, which reads every namespace instead: ${(e as Error).message}`;
  }
}

/**
 * Starts reading the namespaces the last `up` said `status` reads every
 * time, from the stored query, while the lab is loaded and planned.
 */
export async function headStart(lab: string): Promise<HeadStart | undefined> {
  const text = await readStatusQuery(lab);
  if (text === undefined) return undefined;
  let query: Map<string, NamespaceQuery>;
  try {
    query = new Map(JSON.parse(text) as Array<[string, NamespaceQuery]>);
  } catch {
    return undefined;
  }
  try {
    return { text, live: await observeNamespaces(query) };
  } catch {
    return undefined; // Read again the usual way, where a failure is reported.
  }
}

/** Ends the lab's watcher, if it runs: a repair is about to change what it watches. */
export async function stopWatching(state: LabState): Promise<void> {
  if (state.watcher && isSameProcess(state.watcher)) await endProcesses([state.watcher.pid]);
  delete state.watcher;
}

/** The lab's watcher's answer, asked as early as the lab's name is known (it works while netlab plans). */
export function askLabWatcher(lab: string): ReturnType<typeof askWatcher> {
  return askWatcher(watchFiles(labDir(lab)).socket);
}

/**
 * What the watcher's answer lets `status` leave unread: only an answer from
 * the watcher `up` started (same PID, same start time), about the list of
 * namespaces the plan watches (`watched`), with no notification lost.
 */
function vouched(state: LabState, answer: WatchReport | { unanswered: string }, watched: string[]): Vouched {
  if ('unanswered' in answer) return { answered: false, unchanged: [], watcher: answer.unanswered };
  if (!state.watcher || answer.pid !== state.watcher.pid || !isSameProcess(state.watcher))
    return { answered: false, unchanged: [], watcher: 'answered, but is not the watcher up started' };
  if (answer.watched !== watchedDigest(watched)) return { answered: false, unchanged: [], watcher: 'watches another list of namespaces than the plan' };
  if (answer.lost) return { answered: false, unchanged: [], watcher: 'lost notifications (its socket overflowed): everything is read' };
  const changed = new Set(answer.changed);
  return { answered: true, unchanged: watched.filter((n) => !changed.has(n)), watcher: `answered: ${answer.changed.length} of ${watched.length} changed` };
}

/** The namespaces the plan watches, and what the watcher's answer (`asked`, or asked now) vouches for of them. */
export function vouchingFor(
  state: LabState,
  plan: Plan,
  asked: ReturnType<typeof askWatcher> = askLabWatcher(state.lab.name),
): { watched: string[]; vouching: Promise<Vouched> } {
  const watched = watchedNamespaces(plan);
  return { watched, vouching: asked.then((answer) => vouched(state, answer, watched)) };
}

/**
 * The running lab compared with its plan, leaving unread the pods the
 * watcher vouches for (all are read when it does not answer): what `test`
 * reports of a lab it tests as it is.
 */
export async function watchedDrift(state: LabState): Promise<LabDrift> {
  const plan = planOf(state);
  return findDrift(plan, await observeLab(state, plan, vouchingFor(state, plan)));
}

/** Whether the lab's watcher answers and vouches for every namespace it watches. */
export async function watchingAll(state: LabState, plan: Plan): Promise<boolean> {
  const { watched, vouching } = vouchingFor(state, plan);
  const v = await vouching;
  return v.answered && v.unchanged.length === watched.length;
}

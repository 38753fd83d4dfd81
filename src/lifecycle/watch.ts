import { endProcesses } from '../kernel/processes.js';
import { askWatcher, readStatusQuery, startWatcher, writeStatusQuery } from '../kernel/watch.js';
import { isSameProcess, startTime } from '../pid.js';
import type { Plan } from '../plan/ops.js';
import { observeNamespaces } from '../kernel/observe.js';
import { findDrift, whatToRead, type LabDrift } from '../plan/drift.js';
import type { LiveLab, NamespaceQuery } from '../plan/live.js';
import { unwatchedQuery, watchConfig, watchedDigest, watchedNamespaces, watchFiles, watchPays, WATCH_FROM_PODS, type WatchReport } from '../plan/watch.js';
import { HELPER_PROTOCOL } from '../runtime-path.js';
import { labDir } from '../state/paths.js';
import type { LabState } from '../state/store.js';
import { observeLab, planOf, type ReadNamespaces } from './drift.js';

/*
 * The lab's watcher (runtime/netlab-watch.py), for `status`: the one module
 * that starts, stops and asks it. Everything else goes through `watcher`
 * below; plan/watch.ts decides what it watches, kernel/watch.ts runs it.
 */

/** Which namespaces need not be read, and why the others must be. */
interface Vouched {
  /** Whether the watcher `up` started answered about this plan's namespaces, with nothing lost. */
  answered: boolean;
  /** Watched namespaces the watcher reports unchanged since its baseline (none unless it answered). */
  unchanged: string[];
  /** In words, for `status`: `answered: 2 of 4 changed`, `not running`, `lost notifications (…)`. */
  watcher: string;
}

/** What `status` read of the unwatched namespaces with the stored query, before it planned. */
interface HeadStart {
  text: string;
  live: LiveLab['namespaces'];
}

/** A question put to a lab's watcher as soon as its name is known, answered while netlab loads and plans. */
export interface Asking {
  answer: Promise<WatchReport | { unanswered: string }>;
  headStart: Promise<HeadStart | undefined>;
}

/** How `status` read the kernel: namespaces read, those left unread, and the watcher's word. */
export interface Reading {
  read: ReadNamespaces;
  said: Promise<Vouched>;
}

/**
 * Starts the lab's watcher afresh (ending the one before): the kernel as it
 * is now becomes its baseline, so the caller must have just built the lab
 * or found it as planned. Its failure costs the lab nothing (the watcher
 * only spares `status` reading what did not change): returns why none runs,
 * or undefined when it runs.
 */
async function start(state: LabState, plan: Plan): Promise<string | undefined> {
  try {
    await stop(state);
    const files = watchFiles(labDir(state.lab.name));
    const config = watchConfig(plan, labDir(state.lab.name), HELPER_PROTOCOL);
    await writeStatusQuery(files.query, unwatchedQuery(whatToRead(plan), new Set(config.namespaces.map((n) => n.netns))).text);
    const pid = await startWatcher(state.lab.fabric.netns, config, files.config, files.log);
    state.watcher = { pid, start: startTime(pid) ?? '?' };
    return undefined;
  } catch (e) {
    delete state.watcher;
    return `no watcher for \`netlab status\`, which reads every namespace instead: ${(e as Error).message}`;
  }
}

/** Ends the lab's watcher, if it runs: a repair is about to change what it watches. */
async function stop(state: LabState): Promise<void> {
  if (state.watcher && isSameProcess(state.watcher)) await endProcesses([state.watcher.pid]);
  delete state.watcher;
}

/**
 * Starts reading the namespaces the last `up` said `status` reads every
 * time, from the stored query, while the lab is loaded and planned.
 */
async function headStart(lab: string): Promise<HeadStart | undefined> {
  const text = await readStatusQuery(watchFiles(labDir(lab)).query);
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

/** Asks the lab's watcher, and starts the head start, as early as the lab's name is known. */
function ask(lab: string): Asking {
  return { answer: askWatcher(watchFiles(labDir(lab)).socket), headStart: headStart(lab) };
}

/**
 * What the watcher's answer lets `status` leave unread: only an answer from
 * the watcher `up` started (same PID, same start time), about the list of
 * namespaces the plan watches (`watched`), with no notification lost.
 */
function vouched(state: LabState, answer: WatchReport | { unanswered: string }, watched: string[]): Vouched {
  const none = (watcher: string): Vouched => ({ answered: false, unchanged: [], watcher });
  if (!state.watcher) return none(`none started (\`up\` starts one from ${WATCH_FROM_PODS.toLocaleString('en-US')} pods, or with --watch)`);
  if ('unanswered' in answer) return none(answer.unanswered);
  if (answer.pid !== state.watcher.pid || !isSameProcess(state.watcher)) return none('answered, but is not the watcher up started');
  if (answer.watched !== watchedDigest(watched)) return none('watches another list of namespaces than the plan');
  if (answer.lost) return none('lost notifications (its socket overflowed): everything is read');
  const changed = new Set(answer.changed);
  return { answered: true, unchanged: watched.filter((n) => !changed.has(n)), watcher: `answered: ${answer.changed.length} of ${watched.length} changed` };
}

/**
 * How to read the lab's namespaces with the watcher's answer: the unwatched
 * ones are read while it answers (or were, by the head start, when its query
 * is this plan's), then the watched ones it says changed.
 */
function reading(state: LabState, plan: Plan, asking: Asking = ask(state.lab.name)): Reading {
  const watched = watchedNamespaces(plan);
  const said = asking.answer.then((answer) => vouched(state, answer, watched));
  const read: ReadNamespaces = async (query) => {
    const watchedSet = new Set(watched);
    const rest = unwatchedQuery(query, watchedSet);
    const early = await asking.headStart;
    const first = early?.text === rest.text ? Promise.resolve(early.live) : observeNamespaces(rest.query);
    const [namespaces, v] = await Promise.all([first, said]);
    const trusted = new Set(v.unchanged);
    const others = await observeNamespaces(new Map([...query].filter(([n]) => watchedSet.has(n) && !trusted.has(n))));
    return { namespaces: { ...namespaces, ...others }, unchanged: v.unchanged };
  };
  return { read, said };
}

/**
 * Whether `up` should have a watcher run: as told (`--watch`, `--no-watch`),
 * else as the last `up` chose when one runs, else when it pays (watchPays).
 */
function wanted(told: boolean | undefined, state: LabState | undefined, plan: Plan): boolean {
  return told ?? (state?.watcher !== undefined || watchPays(plan));
}

/** After `up` found the lab as planned: starts, restarts or stops the watcher as wanted; says why none could start. */
async function settle(state: LabState, plan: Plan, want: boolean): Promise<{ changed: boolean; warning?: string }> {
  if (!want) {
    if (!state.watcher) return { changed: false };
    await stop(state);
    return { changed: true };
  }
  // As planned, read whole just now: a watcher that is gone or has seen changes (made and undone) starts again.
  const v = await reading(state, plan).said;
  if (v.answered && v.unchanged.length === watchedNamespaces(plan).length) return { changed: false };
  const warning = await start(state, plan);
  return { changed: true, ...(warning ? { warning } : {}) };
}

/**
 * The running lab compared with its plan, leaving unread the pods the
 * watcher vouches for (all are read when it does not answer): what `test`
 * reports of a lab it tests as it is.
 */
async function drift(state: LabState): Promise<LabDrift> {
  const plan = planOf(state);
  return findDrift(plan, await observeLab(state, plan, reading(state, plan).read));
}

/** The lab's watcher: everything netlab does with it. */
export const watcher = { wanted, start, stop, settle, ask, reading, drift, watched: watchedNamespaces };

import { parseConflist, type Conflist } from '../lab/conflist.js';
import { readFile, readdir, rm } from 'node:fs/promises';
import { ensurePrivateDir, writePrivateFile } from '../kernel/files.js';
import { loadLabText } from '../lab/index.js';
import type { Lab } from '../lab/types.js';
import { EnvironmentError } from '../errors.js';
import type { ProcessId } from '../pid.js';
import { labDir, RUN_DIR, stateFile } from './paths.js';

/** The version of the state file's shape; any other is damage. */
const STATE_VERSION = 2;

/** What netlab remembers about a lab between commands. */
export interface LabState {
  status: 'building' | 'up';
  /** Resolved from the lab file's text as it was at `up`; never stored itself. */
  lab: Lab;
  /** The lab file, absolute. */
  file: string;
  /** Who is building (status building) or built it. */
  pid: number;
  /** The lab's container runtime, when it has one and it was started. */
  agent?: ProcessId;
  /** The watcher `up` started for `status` (runtime/netlab-watch.py). */
  watcher?: ProcessId;
  createdAt: string;
  /** The conflist pods were attached with (network.cni a conflist). */
  conflist?: Conflist;
}

/**
 * The file keeps the lab file's text, not the resolved lab: reading it back
 * runs the text through the same validation as any lab file, so a state file
 * of another shape, edited or truncated, can only ever be a valid lab or
 * damage, never a half-understood object.
 */
interface StoredState {
  version: typeof STATE_VERSION;
  status: LabState['status'];
  file: string;
  text: string;
  pid: number;
  agentPid?: number;
  agentStart?: string;
  watcherPid?: number;
  watcherStart?: string;
  createdAt: string;
  /** With network.cni a conflist: the list's text as `up` read it, validated again on every read. */
  conflistText?: string;
}

export type StateRead = { kind: 'missing' } | { kind: 'ok'; state: LabState } | { kind: 'corrupt'; reason: string };

export async function readState(lab: string): Promise<StateRead> {
  let text: string;
  try {
    text = await readFile(stateFile(lab), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    // Not damage: the state is root's, and this netlab is not (status and graph of a lab by name said "damaged").
    if (code === 'EACCES' || code === 'EPERM')
      throw new EnvironmentError(`reading lab "${lab}" needs root: its state (${stateFile(lab)}) is root's; run it with sudo`);
    return { kind: 'corrupt', reason: (e as Error).message };
  }
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch (e) {
    return { kind: 'corrupt', reason: `unreadable JSON (${(e as Error).message})` };
  }
  return fromStored(lab, stored);
}

/** Checks every field a command will use; anything unexpected is damage, named. */
export function fromStored(lab: string, s: unknown): StateRead {
  const bad = (reason: string): StateRead => ({ kind: 'corrupt', reason });
  if (!s || typeof s !== 'object' || Array.isArray(s)) return bad('not a JSON object');
  const o = s as Partial<Record<keyof StoredState, unknown>>;
  if (o.version !== STATE_VERSION) return bad(`not a netlab state file of version ${STATE_VERSION}`);
  if (o.status !== 'building' && o.status !== 'up') return bad('no valid status');
  if (typeof o.file !== 'string' || typeof o.text !== 'string') return bad('no lab file or text');
  if (!isPid(o.pid) || !isProcess(o.agentPid, o.agentStart) || !isProcess(o.watcherPid, o.watcherStart)) return bad('no valid process id');
  if (typeof o.createdAt !== 'string') return bad('no creation time');
  const loaded = loadLabText(o.file, o.text);
  if (!loaded.ok) return bad(`its lab does not validate: ${loaded.problems[0]!.message}`);
  if (loaded.lab.name !== lab) return bad(`it describes lab "${loaded.lab.name}"`);
  const state: LabState = { status: o.status, lab: loaded.lab, file: o.file, pid: o.pid, createdAt: o.createdAt };
  if (loaded.lab.network.cni.kind === 'conflist') {
    if (typeof o.conflistText !== 'string') return bad('its lab attaches pods with a conflist, and the state has none');
    const parsed = parseConflist(loaded.lab.network.cni.file, o.conflistText);
    if (!parsed.ok) return bad(`its conflist does not validate: ${parsed.problems[0]!.message}`);
    state.conflist = parsed.conflist;
  }
  if (o.agentPid !== undefined) state.agent = { pid: o.agentPid as number, start: o.agentStart as string };
  if (o.watcherPid !== undefined) state.watcher = { pid: o.watcherPid as number, start: o.watcherStart as string };
  return { kind: 'ok', state };
}

/** An optional process: absent, or a PID with its start time. */
function isProcess(pid: unknown, start: unknown): boolean {
  return pid === undefined || (isPid(pid) && typeof start === 'string');
}

function isPid(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Written to a private temporary file and renamed, so a crash never leaves half a state file. */
export async function writeState(state: LabState): Promise<void> {
  await ensurePrivateDir(RUN_DIR);
  await ensurePrivateDir(labDir(state.lab.name));
  const stored: StoredState = {
    version: STATE_VERSION,
    status: state.status,
    file: state.file,
    text: state.lab.sourceText,
    pid: state.pid,
    ...(state.agent ? { agentPid: state.agent.pid, agentStart: state.agent.start } : {}),
    ...(state.watcher ? { watcherPid: state.watcher.pid, watcherStart: state.watcher.start } : {}),
    createdAt: state.createdAt,
    ...(state.conflist ? { conflistText: state.conflist.text } : {}),
  };
  await writePrivateFile(stateFile(state.lab.name), `${JSON.stringify(stored)}\n`);
}

export async function removeState(lab: string): Promise<void> {
  await rm(labDir(lab), { recursive: true, force: true });
}

/** Labs that have a state directory, whatever its condition. */
export async function labsWithState(): Promise<string[]> {
  try {
    const entries = await readdir(RUN_DIR, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

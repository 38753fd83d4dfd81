import { link, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, NetlabError } from '../errors.js';
import { createExclusive, ensurePrivateDir, ifAbsent } from '../kernel/files.js';
import { isSameProcess, self, type ProcessId } from '../pid.js';
import { lockFile, readerFile, readerPrefix, RUN_DIR } from './paths.js';

/** Held while a command uses a lab; released in a finally. */
export interface LabLock {
  release(): Promise<void>;
}

/**
 * `exclusive`: the command changes the lab (up, down). `shared`: it only
 * uses it (test); many may share, and an exclusive holder waits for them all,
 * so a `down` in another terminal never removes a lab under a running test.
 */
export type LockMode = 'exclusive' | 'shared';

export interface LockOptions {
  mode?: LockMode;
  /** How long to wait for another netlab; then LockedError. */
  waitMs?: number;
  /** Told once when the wait starts, so a person knows why nothing happens. */
  onWait?: (holder: string) => void;
}

const POLL_MS = 50;
const DEFAULT_WAIT_MS = 120_000;

/** Another netlab holds the lab for longer than we are willing to wait (exit 5). */
export class LockedError extends NetlabError {
  constructor(lab: string, holder: string) {
    super(`lab "${lab}" is busy: ${holder} is using it; try again when it has finished`, ExitCode.busy);
  }
}

/**
 * A lock file per lab, published whole (written beside, then linked into
 * place) and holding the owner's PID and start time. A lock whose owner is gone (SIGKILL), or whose PID now belongs
 * to another process, is taken over; a live owner is waited for. Readers
 * register one file each, under the exclusive lock.
 */
export async function acquireLock(lab: string, options: LockOptions = {}): Promise<LabLock> {
  await ensurePrivateDir(RUN_DIR);
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
  let told = false;
  const waitFor = async (holder: string) => {
    if (Date.now() >= deadline) throw new LockedError(lab, holder);
    if (!told) options.onWait?.(holder);
    told = true;
    await sleep(POLL_MS);
  };
  await takeExclusive(lab, waitFor);
  const exclusive = { release: () => releaseFile(lockFile(lab)) };
  try {
    if (options.mode === 'shared') {
      const path = readerFile(lab, process.pid);
      await unlink(path).catch(ifAbsent(undefined));
      await createExclusive(path, record(self()));
      await exclusive.release();
      return { release: () => releaseFile(path) };
    }
    for (let readers = await liveReaders(lab); readers.length > 0; readers = await liveReaders(lab)) {
      await waitFor(`netlab (pid ${readers[0]!.pid}, running its tests)`);
    }
  } catch (e) {
    await exclusive.release();
    throw e;
  }
  return exclusive;
}

async function takeExclusive(lab: string, waitFor: (holder: string) => Promise<void>): Promise<void> {
  const path = lockFile(lab);
  for (;;) {
    if (await createExclusive(path, record(self()))) return;
    const holder = await holderOf(path);
    if (holder === undefined || !isSameProcess(holder)) {
      await breakStaleLock(path);
      continue;
    }
    await waitFor(`netlab (pid ${holder.pid})`);
  }
}

function record(id: ProcessId): string {
  return `${id.pid} ${id.start}\n`;
}

async function releaseFile(path: string): Promise<void> {
  if ((await holderOf(path))?.pid === process.pid) await unlink(path).catch(ifAbsent(undefined));
}

/** Who holds a lock file; undefined when it is gone or says no process (it is published whole, so never half written). */
async function holderOf(path: string): Promise<ProcessId | undefined> {
  const text = await readFile(path, 'utf8').catch(ifAbsent(undefined));
  if (text === undefined) return undefined;
  const [pid, start] = text.trim().split(' ');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 && start ? { pid: n, start } : undefined;
}

/** Readers that still run; the files of those that died are removed. */
async function liveReaders(lab: string): Promise<ProcessId[]> {
  const live: ProcessId[] = [];
  for (const name of await runDirEntries()) {
    if (!name.startsWith(readerPrefix(lab))) continue;
    const holder = await holderOf(join(RUN_DIR, name));
    if (holder && isSameProcess(holder)) live.push(holder);
    else await unlink(join(RUN_DIR, name)).catch(ifAbsent(undefined));
  }
  return live;
}

/**
 * Rename is atomic: of two processes breaking the same stale lock, one wins.
 * If what we moved aside turns out to be a fresh lock someone took meanwhile,
 * it is put back (link fails rather than overwrite a newer one).
 */
async function breakStaleLock(path: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}`;
  // Gone: someone else broke it first, or it was released; the caller just tries again.
  if ((await rename(path, aside).then(() => true, ifAbsent(false))) === false) return;
  const holder = await holderOf(aside);
  if (holder !== undefined && isSameProcess(holder)) await link(aside, path).catch(ifEexist);
  await unlink(aside).catch(ifAbsent(undefined));
}

async function runDirEntries(): Promise<string[]> {
  return readdir(RUN_DIR).catch(ifAbsent([] as string[]));
}

/** Putting back a lock moved aside: a newer lock in its place wins. */
function ifEexist(e: unknown): void {
  if ((e as NodeJS.ErrnoException)?.code !== 'EEXIST') throw e;
}

/** Lock and reader files left by processes that are gone (for `clean`). */
export async function staleLocks(): Promise<string[]> {
  const stale: string[] = [];
  for (const name of (await runDirEntries()).filter((n) => n.endsWith('.lock') || n.includes('.lock.'))) {
    const holder = await holderOf(join(RUN_DIR, name));
    if (holder === undefined || !isSameProcess(holder)) stale.push(join(RUN_DIR, name));
  }
  return stale;
}

import { link, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetlabError } from '../errors.js';
import { isAlive } from '../pid.js';
import { lockFile, RUN_DIR } from './paths.js';

/** Held while a command changes a lab; released in a finally. */
export interface LabLock {
  release(): Promise<void>;
}

const POLL_MS = 50;

/** Another netlab holds the lab for longer than we are willing to wait. */
export class LockedError extends NetlabError {
  constructor(lab: string, holder: number) {
    super(`lab "${lab}" is busy: netlab (pid ${holder}) is changing it; try again when it has finished`, 4);
  }
}

/**
 * A lock file per lab, created with O_EXCL and holding the owner's PID. A
 * lock whose owner died (SIGKILL) is taken over; a live owner is waited for.
 */
export async function acquireLock(lab: string, waitMs = 120_000): Promise<LabLock> {
  await mkdir(RUN_DIR, { recursive: true });
  const path = lockFile(lab);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => releaseLock(path) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await lockHolder(path);
    if (holder === undefined || !isAlive(holder)) {
      await breakStaleLock(path);
      continue;
    }
    if (Date.now() >= deadline) throw new LockedError(lab, holder);
    await sleep(POLL_MS);
  }
}

async function releaseLock(path: string): Promise<void> {
  if ((await lockHolder(path)) === process.pid) await unlink(path).catch(() => undefined);
}

async function lockHolder(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rename is atomic: of two processes breaking the same stale lock, one wins.
 * If what we moved aside turns out to be a fresh lock someone took meanwhile,
 * it is put back (link fails rather than overwrite a newer one).
 */
async function breakStaleLock(path: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}`;
  try {
    await rename(path, aside);
  } catch {
    return; // Someone else broke it first, or it was released: just try again.
  }
  const holder = await lockHolder(aside);
  if (holder !== undefined && isAlive(holder)) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** Lock files left by processes that are gone (for `clean`). */
export async function staleLocks(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(RUN_DIR);
  } catch {
    return [];
  }
  const stale: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.lock'))) {
    const holder = await lockHolder(join(RUN_DIR, name));
    if (holder === undefined || !isAlive(holder)) stale.push(join(RUN_DIR, name));
  }
  return stale;
}

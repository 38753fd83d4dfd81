import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { openSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../errors.js';

/*
 * netlab runs as root and keeps its state in a directory that may be set by
 * NETLAB_RUN_DIR, possibly under a world-writable path. Every directory it
 * uses is its own and private, every file is created with an explicit mode
 * (root's umask does not decide), and nothing is ever written through a
 * symlink someone else planted.
 */

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates `path` (mode 0700) or checks the one there: a real directory, ours,
 * that no one else can write. Missing parents are made the same way, each
 * checked in turn.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  let made = false;
  try {
    await mkdir(path, { mode: PRIVATE_DIR });
    made = true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && dirname(path) !== path) {
      await ensurePrivateDir(dirname(path));
      return ensurePrivateDir(path);
    }
    if (code !== 'EEXIST') throw new EnvironmentError(`cannot create the state directory ${path}: ${(e as Error).message}`);
  }
  if (made) await chmod(path, PRIVATE_DIR);
  const info = await lstat(path);
  const uid = process.getuid?.() ?? 0;
  const problem = info.isSymbolicLink()
    ? 'is a symbolic link'
    : !info.isDirectory()
      ? 'is not a directory'
      : info.uid !== uid
        ? `belongs to uid ${info.uid}, not to netlab's user (uid ${uid})`
        : (info.mode & 0o022) !== 0
          ? `can be written by other users (mode ${(info.mode & 0o777).toString(8)})`
          : undefined;
  if (problem)
    throw new EnvironmentError(`refusing the state directory ${path}: it ${problem}; remove it, or set NETLAB_RUN_DIR to a directory only root can write`);
}

/** A new private file (mode 0600 whatever the umask, never through a link) holding `content`, closed. */
async function writeNewPrivate(path: string, content: string): Promise<void> {
  const handle = await open(path, NEW_FILE, PRIVATE_FILE);
  try {
    await handle.chmod(PRIVATE_FILE);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/** Writes a whole file atomically: a new private file beside it, renamed over it (rename never follows a link). */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await unlink(tmp).catch(() => undefined);
  await writeNewPrivate(tmp, content);
  await rename(tmp, path);
}

/**
 * What a failed file call means when the file is simply not there: the
 * fallback for ENOENT, and any other errno (a permission, a directory in
 * the way, a full disk) is thrown, never taken for absence.
 */
export function ifAbsent<T>(fallback: T): (e: unknown) => T {
  return (e: unknown) => {
    if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') return fallback;
    throw e;
  };
}

/**
 * Creates a file that must not exist yet (a lock), whole: its content is
 * written to a private file beside it, which is then linked into place.
 * link() never replaces and never follows a link, so a reader sees either
 * no file or the finished one (an O_EXCL open then a write let a second
 * netlab read it empty, judge it stale and break it). False when it exists.
 */
export async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  await writeNewPrivate(tmp, content);
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(ifAbsent(undefined));
  }
}

/** A log file opened for appending, created private; a symlink in its place is refused (ELOOP). */
export function openPrivateLog(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, PRIVATE_FILE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP')
      throw new EnvironmentError(`refusing to write ${path}: it is a symbolic link, and netlab never writes through one`);
    throw e;
  }
}

/**
 * A file other programs read (a pod's resolv.conf under /etc/netns/NAMESPACE):
 * mode 0644 in a 0755 directory, written atomically, never through a link.
 */
export async function writePublicFile(path: string, content: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const info = await lstat(dir);
  if (info.isSymbolicLink() || !info.isDirectory()) throw new EnvironmentError(`refusing to write into ${dir}: it is not a plain directory`);
  const tmp = `${path}.${process.pid}.tmp`;
  await unlink(tmp).catch(() => undefined);
  const handle = await open(tmp, NEW_FILE, 0o644);
  try {
    await handle.chmod(0o644);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

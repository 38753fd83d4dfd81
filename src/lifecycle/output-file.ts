import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * A file a command will write (a report, a picture), checked before any work
 * is done: `test --junit` to a missing directory found out only after every
 * test had run, and a directory or /dev/full was exit 4. Exit 2 instead, with
 * what is wrong: the path is a word of the command line.
 */
export async function checkOutputFile(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const parent = await stat(dir).catch(() => undefined);
  if (!parent) throw new UsageError(`${path}: the directory ${dir} does not exist`);
  if (!parent.isDirectory()) throw new UsageError(`${path}: ${dir} is not a directory`);
  const existing = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new UsageError(`${path}: ${e.message}`);
  });
  if (existing?.isDirectory()) throw new UsageError(`${path}: is a directory; name a file to write`);
  if (existing && !existing.isFile()) throw new UsageError(`${path}: not a regular file (a device or a pipe); name a file to write`);
  await access(existing ? path : dir, constants.W_OK).catch(() => {
    throw new UsageError(`${path}: not writable by this user`);
  });
}

import { readFile, readlink } from 'node:fs/promises';
import { KernelError } from '../errors.js';
import { netnsInode } from './netns.js';

/**
 * Tells one controller pod's nginx to read its configuration again (SIGHUP
 * to the master, as `nginx -s reload` sends it): new workers take the new
 * config, old ones finish the requests they hold, so no connection is cut.
 * The PID comes from the lab's own pid file and must be an nginx master in
 * the pod's namespace: a stale or planted number signals nothing else.
 */
export async function reloadNginx(pidFile: string, netns: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new KernelError(`nginx in ${netns}: no PID in ${pidFile}; \`netlab up\` starts it again`);
  const [cmdline, ns, inode] = await Promise.all([
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
    readlink(`/proc/${pid}/ns/net`).catch(() => ''),
    netnsInode(netns),
  ]);
  if (!cmdline.startsWith('nginx: master process') || ns !== `net:[${inode}]`)
    throw new KernelError(`nginx in ${netns}: PID ${pid} of ${pidFile} is not its nginx master; \`netlab up\` starts it again`);
  process.kill(pid, 'SIGHUP');
}

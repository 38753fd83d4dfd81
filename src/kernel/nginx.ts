import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError } from '../errors.js';
import { netnsInode } from './netns.js';
import { processesInNetns } from './processes.js';

/** How long a reload may take to hand the ports to new workers. */
const RELOAD_TIMEOUT_MS = 10_000;

/**
 * Tells one controller pod's nginx to read its configuration again (SIGHUP
 * to the master, as `nginx -s reload` sends it) and waits until the new
 * configuration serves: a new worker is up and every old one has stopped
 * taking connections (nginx titles it "worker process is shutting down"
 * while it finishes the requests it holds, so no connection is cut). The PID
 * comes from the lab's own pid file and must be an nginx master in the pod's
 * namespace: a stale or planted number signals nothing else.
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
  const before = new Set((await workers(netns)).map((w) => w.pid));
  process.kill(pid, 'SIGHUP');
  const deadline = Date.now() + RELOAD_TIMEOUT_MS;
  for (;;) {
    const now = await workers(netns);
    const fresh = now.some((w) => !before.has(w.pid) && w.title === 'nginx: worker process');
    const oldServing = now.some((w) => before.has(w.pid) && w.title === 'nginx: worker process');
    if (fresh && !oldServing) return;
    if (Date.now() > deadline)
      throw new KernelError(`nginx in ${netns} did not take its new configuration within ${RELOAD_TIMEOUT_MS / 1000} s: see its error.log`);
    await sleep(20);
  }
}

/** nginx's workers in a namespace, with the title nginx gives each. */
async function workers(netns: string): Promise<Array<{ pid: number; title: string }>> {
  const out: Array<{ pid: number; title: string }> = [];
  for (const pid of await processesInNetns([netns])) {
    const title = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0]!.trim();
    if (title.startsWith('nginx: worker process')) out.push({ pid, title });
  }
  return out;
}

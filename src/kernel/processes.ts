import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../pid.js';
import { netnsInode } from './netns.js';

/**
 * Processes are found by the namespace they live in, never by name: whatever
 * runs inside a lab's namespace belongs to the lab.
 */
export async function processesInNetns(names: string[]): Promise<number[]> {
  const inodes = new Set<string>();
  for (const name of names) {
    const ino = await netnsInode(name);
    if (ino !== undefined) inodes.add(`net:[${ino}]`);
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  const self = process.pid;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === self) continue;
    try {
      if (inodes.has(await readlink(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is a kernel thread: not ours to end.
    }
  }
  return pids;
}

/** The processes in a namespace that run `script` (their command line names it): a lab daemon among others there. */
export async function processesRunning(netns: string, script: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await processesInNetns([netns])) {
    try {
      if ((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').includes(script)) out.push(pid);
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/**
 * The processes in a namespace whose program is `program`: the first word of
 * their command line, as a daemon leaves it (nginx rewrites its own to
 * `nginx: master process …`), a zombie not counted.
 */
export async function programsRunning(netns: string, program: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await processesInNetns([netns])) {
    try {
      const first = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0] ?? '';
      const name = first.split(/[\s:]/)[0]!.split('/').at(-1);
      if (name === program) out.push(pid);
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** Whether the PID a daemon wrote is alive, runs `program` and lives in `netns` (a stale or planted number is not). */
export async function pidFileAlive(pidFile: string, program: string, netns: string): Promise<boolean> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return false;
  const [cmdline, stat, ns, inode] = await Promise.all([
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    readlink(`/proc/${pid}/ns/net`).catch(() => ''),
    netnsInode(netns),
  ]);
  // A zombie (state Z) is gone: PID 1 may take a moment to reap it.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  const name = (cmdline.split('\0')[0] ?? '').split(/[\s:]/)[0]!.split('/').at(-1);
  return name === program && state !== 'Z' && ns === `net:[${inode}]`;
}

/** SIGTERM, then SIGKILL for whatever has not ended within the grace period. */
export async function endProcesses(pids: number[], graceMs = 1000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  };
  pids.forEach((pid) => signal(pid, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(10);
    alive = alive.filter(isAlive);
  }
  alive.forEach((pid) => signal(pid, 'SIGKILL'));
}

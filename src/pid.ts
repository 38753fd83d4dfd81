import { readFileSync } from 'node:fs';

/** A process as the kernel knows it: its PID and when it started, so a recycled PID is not mistaken for it. */
export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks since boot when it started. */
  start: string;
}

function stat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

/** True while the process runs; a zombie (ended, not yet reaped by its parent) counts as ended. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const s = stat(pid);
  if (s === undefined) return false;
  const state = s.charAt(s.lastIndexOf(')') + 2);
  return state !== 'Z' && state !== 'X';
}

/** When a process started, or undefined when it is gone. */
export function startTime(pid: number): string | undefined {
  const s = stat(pid);
  // Fields after the command name (which may hold spaces and parentheses): state is field 3, start time field 22.
  return s?.slice(s.lastIndexOf(')') + 2).split(' ')[19];
}

/** This process, as a lock or a state file records it. */
export function self(): ProcessId {
  return { pid: process.pid, start: startTime(process.pid) ?? '?' };
}

/** The same process that was recorded: alive, and started when it did (not another one given its PID since). */
export function isSameProcess(id: ProcessId): boolean {
  return isAlive(id.pid) && startTime(id.pid) === id.start;
}

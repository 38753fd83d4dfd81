import { readFileSync } from 'node:fs';

/** Busy and total CPU time since boot, in clock ticks (the first line of /proc/stat). */
function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th fields.
  return { busy: total - fields[3]! - fields[4]!, total };
}

/**
 * Waits until the machine is idle: at most 5% of its CPU time busy over a
 * second, or `maxSeconds` passed. The kernel frees deleted namespaces in the
 * background (at 10,000 it keeps a core busy for seconds after `netns delete`
 * returns): a measurement started then pays for the one before.
 */
export function waitUntilQuiet(maxSeconds = 60): void {
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < maxSeconds; i++) {
    const a = cpuTicks();
    Atomics.wait(sleep, 0, 0, 1000);
    const b = cpuTicks();
    if ((b.busy - a.busy) * 20 <= b.total - a.total) return;
  }
}

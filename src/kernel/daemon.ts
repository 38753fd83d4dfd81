import { closeSync, readFileSync } from 'node:fs';
import { KernelError } from '../errors.js';
import { PYTHON } from '../runtime-path.js';
import { openPrivateLog } from './files.js';
import { startProcess } from './run.js';

const READY_TIMEOUT_MS = 15_000;

/**
 * Starts one of netlab's Python daemons (`script CONFIG`) inside `netns` and
 * waits until it says it is ready with a line `ready PID` on its stdout: no
 * polling, no sleeps. The process is detached: it belongs to the lab, not
 * to this command, and lives in a lab namespace, where `down` finds it.
 * `what` names it in errors ("the container runtime").
 */
export function startDaemon(what: string, netns: string, script: string, config: string, logFile: string): Promise<number> {
  const log = openPrivateLog(logFile);
  const child = startProcess('ip', ['netns', 'exec', netns, PYTHON, script, config], {
    detached: true,
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(`did not report ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      if (child.pid) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      reject(new KernelError(`${what} ${why}${lastError(logFile)} (log: ${logFile})`));
    };
    child.on('error', (e) => fail(`could not start: ${e.message}`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `exit ${code}`}) before it was ready`));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /^ready (\d+)\n/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.destroy();
      child.unref();
      resolve(Number(m[1]));
    });
  });
}

/** The daemon's own last words, from its log. */
function lastError(logFile: string): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    const line = lines.filter((l) => l.startsWith('error: ')).at(-1) ?? lines.filter((l) => /^\w*Error: /.test(l)).at(-1);
    return line ? `: ${line.replace(/^error: /, '')}` : '';
  } catch {
    return '';
  }
}

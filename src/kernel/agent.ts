import { closeSync, readFileSync } from 'node:fs';
import { KernelError } from '../errors.js';
import { AGENT_PATH } from '../runtime-path.js';
import { openPrivateLog } from './files.js';
import { startProcess } from './run.js';

const READY_TIMEOUT_MS = 15_000;

/**
 * Starts the lab's container runtime inside `netns` and waits until it says
 * every socket is bound (a line on its stdout: no polling, no sleeps). The
 * process is detached: it belongs to the lab, not to this command.
 */
export function startAgent(netns: string, config: string, logFile: string): Promise<number> {
  const log = openPrivateLog(logFile);
  const child = startProcess('ip', ['netns', 'exec', netns, 'python3', AGENT_PATH, config], {
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
      reject(new KernelError(`the container runtime ${why}${lastError(logFile)} (log: ${logFile})`));
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

/** The runtime's own last words, from its log. */
function lastError(logFile: string): string {
  try {
    const line = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error: '))
      .at(-1);
    return line ? `: ${line.slice('error: '.length)}` : '';
  } catch {
    return '';
  }
}

import { spawn } from 'node:child_process';
import { describeOutcome } from './failure.js';

/** What a finished command left behind. */
export interface RunResult {
  command: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  signal: string | undefined;
}

/**
 * Runs a program with an argument array (never a shell string) and returns
 * how it ended; never throws for a non-zero exit. Callers decide what a
 * failure means. Node's own spawn rather than execa: a big `up` runs hundreds
 * of these, and every command pays execa's load time at start (measured in
 * bench/), for features short commands do not use.
 */
export function run(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ command: [file, ...args], exitCode: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), signal: signal ?? undefined });
    });
    child.stdin.on('error', () => undefined); // a program that exits without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and insists on success; the error names the command, its exit and its stderr. */
export async function runOrThrow(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const r = await run(file, args, options);
  if (r.exitCode !== 0) throw new Error(describeOutcome(r));
  return r;
}

/** Parses the output of an iproute2 `-j` query; an empty answer is an empty list. */
export async function ipJson<T>(netns: string, args: string[]): Promise<T> {
  const r = await runOrThrow('ip', ['-n', netns, '-j', ...args]);
  const text = r.stdout.trim();
  return (text ? JSON.parse(text) : []) as T;
}

/**
 * Runs up to `limit` tasks at once, keeping results in order. After the first
 * failure no new task starts, and it waits for the running ones to end before
 * it throws, so a rollback never races a command still at work.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

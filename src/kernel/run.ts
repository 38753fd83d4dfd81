import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { constants } from 'node:os';
import { Readable } from 'node:stream';
import { EnvironmentError, KernelError, type NetlabError } from '../errors.js';
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
 * failure means. This file is netlab's one process layer, on node's own
 * spawn rather than execa: `npm run bench:spawn` measures execa's import at
 * 94 ms (paid by every command) and 1.1 ms more per run, and a big `up` runs
 * hundreds of short commands that use none of its features.
 */
export function run(file: string, args: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // `env` replaces the environment whole: a CNI plugin sees only what the spec gives it.
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(spawnFailure(file, e));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        command: [file, ...args],
        exitCode: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        signal: signal ?? undefined,
      });
    });
    child.stdin.on('error', () => undefined); // a program that exits without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and insists on success; the error names the command, its exit and its stderr. */
export async function runOrThrow(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const r = await run(file, args, options);
  if (r.exitCode !== 0) throw new KernelError(describeOutcome(r));
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

/** A program that could not be started at all: missing is the machine's fault (exit 3), anything else the kernel's. */
function spawnFailure(file: string, e: Error): NetlabError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new EnvironmentError(`${file} is not installed (or not on PATH)`);
  return new KernelError(`could not start ${file}: ${e.message}`);
}

/** Runs a program with the terminal attached (for `exec` and `capture`); resolves to its exit code, 128 + N for a signal. */
export function runAttached(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    child.on('error', (e) => reject(spawnFailure(file, e)));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
  });
}

/**
 * Runs a program that answers one line at a time (the prober), handing each
 * line over as it comes; resolves to how it ended.
 */
export function runLines(file: string, args: string[], input: string | Iterable<string>, onLine: (line: string) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(spawnFailure(file, e)));
    child.on('close', (code, signal) => {
      if (pending) onLine(pending);
      resolve({ command: [file, ...args], exitCode: code ?? -1, stdout: '', stderr: Buffer.concat(err).toString(), signal: signal ?? undefined });
    });
    child.stdin.on('error', () => undefined);
    // An iterable is read only as fast as the program takes it in: a large input is never all in memory at once.
    if (typeof input === 'string') child.stdin.end(input);
    else Readable.from(input).pipe(child.stdin);
  });
}

/**
 * Starts a program that outlives this call (a capture, the container
 * runtime) and hands back the child to watch; failing to start it at all is
 * reported through its 'error' event like any other child.
 */
export function startProcess(file: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(file, args, options);
}

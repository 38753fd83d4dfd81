import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError } from '../errors.js';
import { quote } from '../plan/shell.js';
import { startProcess } from './run.js';

/** A tcpdump that is listening; stop() ends it and returns what it saw. */
export interface RunningCapture {
  command: string;
  stop(): Promise<{ packets: string[]; stderr: string }>;
}

const READY_TIMEOUT_MS = 10_000;
/** After the traffic, the capture ends once it has printed nothing for this long. */
const QUIET_MS = 150;
const DRAIN_MAX_MS = 2_000;
const TIMESTAMP = /^\d{2}:\d{2}:\d{2}\.\d+ /;

/**
 * Starts tcpdump inside a namespace and resolves once it says it is
 * listening (its own "listening on" line, not a sleep), so no packet of the
 * traffic that follows is missed.
 */
export function startCapture(netns: string, iface: string, filter: string): Promise<RunningCapture> {
  const args = captureArgs(netns, iface, filter);
  const command = quote(['ip', ...args]);
  const child = startProcess('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let lastOutput = Date.now();
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    lastOutput = Date.now();
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));

  const stop = async () => {
    const until = Date.now() + DRAIN_MAX_MS;
    while (Date.now() - lastOutput < QUIET_MS && Date.now() < until) await sleep(25);
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(killer);
    return { packets: packetsOf(stdout), stderr };
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new KernelError(`${command} did not start listening within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on /.test(stderr)) {
        clearTimeout(timer);
        resolve({ command, stop });
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new KernelError(`${command} ended (exit ${code}) before listening: ${stderr.trim().split('\n').slice(-2).join('; ')}`));
    });
  });
}

/**
 * The command line of a capture. The filter comes from a lab file, which may
 * be hostile: after `--` it can only ever be tcpdump's expression, never an
 * option such as `-w FILE` (which would write any file as root).
 */
export function captureArgs(netns: string, iface: string, filter: string): string[] {
  return ['netns', 'exec', netns, 'tcpdump', '-i', iface, '-nn', '-e', '-l', '--immediate-mode', ...(filter ? ['--', filter] : [])];
}

/** tcpdump prints an encapsulated packet's inner header on lines of its own; a packet starts at a timestamp. */
export function packetsOf(text: string): string[] {
  const packets: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (TIMESTAMP.test(line) || packets.length === 0) packets.push(line.trimEnd());
    else packets[packets.length - 1] += `\n  ${line.trim()}`;
  }
  return packets;
}

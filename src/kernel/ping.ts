import { quote } from '../plan/shell.js';
import { run } from './run.js';

export interface PingOutcome {
  command: string;
  exitCode: number;
  transmitted: number;
  received: number;
  output: string[];
}

export interface PingOptions {
  count: number;
  size?: number | undefined;
  dontFragment?: boolean;
  deadline: number;
}

/** The command line of a ping; the target comes after `--`, so no value can become an option. */
export function pingArgs(netns: string, dst: string, o: PingOptions): string[] {
  const args = ['netns', 'exec', netns, 'ping', '-n', '-c', String(o.count), '-i', '0.2', '-W', '1', '-w', String(o.deadline)];
  if (o.size !== undefined) args.push('-s', String(o.size));
  if (o.dontFragment) args.push('-M', 'do');
  args.push('--', dst);
  return args;
}

/**
 * The real ping, run inside a namespace: `count` replies within a deadline.
 * Echo requests go every 0.2 s until then, so a first packet that waits for
 * ARP is simply followed by another; nothing sleeps blindly.
 */
export async function ping(netns: string, dst: string, o: PingOptions): Promise<PingOutcome> {
  const args = pingArgs(netns, dst, o);
  const r = await run('ip', args);
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
  const output = `${r.stdout}${r.stderr}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  return {
    command: quote(['ip', ...args]),
    exitCode: r.exitCode,
    transmitted: stats ? Number(stats[1]) : 0,
    received: stats ? Number(stats[2]) : 0,
    output,
  };
}

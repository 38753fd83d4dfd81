import { quote } from '../plan/shell.js';
import { run } from './run.js';

/** What a namespace's neighbour table says of one address after asking for it afresh. */
export interface NeighbourAnswer {
  commands: string[];
  /** The MAC that answered, or undefined when nobody did (the entry FAILED or absent). */
  mac: string | undefined;
  state: string;
}

/**
 * Who answers ARP for `ip` now, as a client on the link learns it: its
 * entry for the address is deleted, a ping makes the kernel ask again (the
 * echo itself may go unanswered: a LoadBalancer IP answers only its
 * Services' ports), and the entry the answer left is read with `ip -j`.
 */
export async function askNeighbour(netns: string, dev: string, ip: string): Promise<NeighbourAnswer> {
  const del = ['netns', 'exec', netns, 'ip', 'neigh', 'del', ip, 'dev', dev];
  const ask = ['netns', 'exec', netns, 'ping', '-n', '-c', '1', '-W', '1', '--', ip];
  const show = ['-j', '-n', netns, 'neigh', 'show', 'to', ip, 'dev', dev];
  await run('ip', del);
  await run('ip', ask);
  const r = await run('ip', show);
  const entries = r.exitCode === 0 ? (JSON.parse(r.stdout || '[]') as Array<{ dst: string; lladdr?: string; state?: string[] }>) : [];
  const entry = entries.find((e) => e.dst === ip);
  const state = entry?.state?.join(',') ?? 'absent';
  return {
    commands: [del, ask, show].map((a) => quote(['ip', ...a])),
    mac: entry?.lladdr && !/FAILED|INCOMPLETE/.test(state) ? entry.lladdr : undefined,
    state,
  };
}

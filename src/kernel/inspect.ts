import { readFile } from 'node:fs/promises';
import { runOrThrow } from './run.js';

/** Forgets every neighbour (ARP) entry a namespace learned; permanent ones stay. */
export async function flushNeighbours(netns: string): Promise<void> {
  await runOrThrow('ip', ['-n', netns, 'neigh', 'flush', 'all']);
}

/** The kernel's hard limit of dynamic neighbour entries (read from the host; never written). */
export async function neighbourLimit(): Promise<number> {
  const text = await readFile('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8').catch(() => '1024');
  return Number(text.trim()) || 1024;
}

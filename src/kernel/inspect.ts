import { readFile } from 'node:fs/promises';
import { ipJson, runOrThrow } from './run.js';

/** IPv4 addresses on a device, as `ip -j addr` reports them. */
export async function ipv4Addresses(netns: string, dev: string): Promise<string[]> {
  const links = await ipJson<Array<{ addr_info?: Array<{ local: string }> }>>(netns, ['-4', 'addr', 'show', 'dev', dev]);
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
}

/** Forgets every neighbour (ARP) entry a namespace learned; permanent ones stay. */
export async function flushNeighbours(netns: string): Promise<void> {
  await runOrThrow('ip', ['-n', netns, 'neigh', 'flush', 'all']);
}

/** The kernel's hard limit of dynamic neighbour entries (read from the host; never written). */
export async function neighbourLimit(): Promise<number> {
  const text = await readFile('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8').catch(() => '1024');
  return Number(text.trim()) || 1024;
}

import { readFile } from 'node:fs/promises';
import { KernelError } from '../errors.js';
import { APPLY_HELPER_PATH, HELPER_PROTOCOL } from '../runtime-path.js';
import { describeOutcome } from './failure.js';
import { ipJson, run, runOrThrow } from './run.js';

/** IPv4 addresses on a device, as `ip -j addr` reports them. */
export async function ipv4Addresses(netns: string, dev: string): Promise<string[]> {
  const links = await ipJson<Array<{ addr_info?: Array<{ local: string }> }>>(netns, ['-4', 'addr', 'show', 'dev', dev]);
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
}

/** Forgets every neighbour (ARP) entry a namespace learned; permanent ones stay. */
export async function flushNeighbours(netns: string): Promise<void> {
  await runOrThrow('ip', ['-n', netns, 'neigh', 'flush', 'all']);
}

/**
 * Empties the learned neighbour entries of many namespaces through one apply
 * helper (a program per namespace would cost more than the probes).
 */
export async function flushNeighboursIn(namespaces: string[]): Promise<void> {
  const r = await run('python3', [APPLY_HELPER_PATH], {
    input: JSON.stringify({ protocol: HELPER_PROTOCOL, ops: namespaces.map((netns) => ({ netns, kind: 'neigh.flush' })) }),
  });
  if (r.exitCode !== 0) throw new KernelError(`emptying the neighbour caches failed: ${describeOutcome(r)}`);
}

/** The kernel's hard limit of dynamic neighbour entries (read from the host; never written). */
export async function neighbourLimit(): Promise<number> {
  const text = await readFile('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8').catch(() => '1024');
  return Number(text.trim()) || 1024;
}

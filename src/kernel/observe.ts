import { imageOfIptables, imageOfNft, type NftJsonItem, type TableImage } from '../plan/table-image.js';
import { availableParallelism } from 'node:os';
import type { LiveLab, LiveNetns, NamespaceQuery } from '../plan/live.js';
import { HELPER_PROTOCOL, OBSERVE_HELPER_PATH, PYTHON } from '../runtime-path.js';
import { KernelError } from '../errors.js';
import { describeOutcome } from './failure.js';
import { run } from './run.js';

/**
 * Work one observe helper does before it is shared with another, in dumps
 * and sysctls read (a pod's namespace is 4, a node's of 250 pods about 260,
 * one for each veth's settings; a unit costs some 0.03 ms).
 */
const WORK_PER_HELPER = 2_000;

/** What reading a namespace costs, roughly: its links (a node's sysctls name each of its veths) and its dumps. */
function work(query: NamespaceQuery): number {
  return 1 + query.read.length + query.sysctls.length;
}

/**
 * Reads the kernel state of many namespaces through the helper
 * (runtime/netlab-observe.py): links, addresses, routes, neighbours, FDB
 * entries and the sysctls asked for. A namespace that is gone reads as null.
 * A large lab is shared between one helper per core.
 */
export async function observeNamespaces(wanted: Map<string, NamespaceQuery>): Promise<LiveLab['namespaces']> {
  if (wanted.size === 0) return {};
  const all = [...wanted].map(([netns, query]) => ({ netns, ...query, work: work(query) }));
  const total = all.reduce((n, q) => n + q.work, 0);
  const helpers = Math.max(1, Math.min(availableParallelism(), Math.ceil(total / WORK_PER_HELPER)));
  // Heaviest first, each to the helper with the least so far.
  const parts = Array.from({ length: helpers }, () => ({ work: 0, namespaces: [] as Array<{ netns: string } & NamespaceQuery> }));
  for (const { work, ...q } of all.sort((a, b) => b.work - a.work)) {
    const part = parts.reduce((a, b) => (b.work < a.work ? b : a));
    part.work += work;
    part.namespaces.push(q);
  }
  const results = await Promise.all(
    parts.map(async ({ namespaces }) => {
      const r = await run(PYTHON, [OBSERVE_HELPER_PATH], { input: observeRequest(namespaces) });
      if (r.exitCode !== 0) throw new KernelError(`reading the lab's kernel state failed: ${describeOutcome(r)}`);
      return JSON.parse(r.stdout) as Record<string, LiveNetns | null>;
    }),
  );
  return Object.assign({}, ...results) as Record<string, LiveNetns | null>;
}

/** The observe helper's request (runtime/protocol.json `observe.request`). */
export function observeRequest(namespaces: Array<{ netns: string } & NamespaceQuery>): string {
  return JSON.stringify({ protocol: HELPER_PROTOCOL, namespaces });
}

/** One entry of `nft -j` output: `{ "chain": {...} }`, `{ "rule": {...} }`, `{ "map": {...} }`, … */
export type NftItem = NftJsonItem;

/** The items of `nft -j list table FAMILY NAME` inside a namespace; undefined when the table (or the namespace) is not there. */
export async function listNftTable(netns: string, table: string): Promise<NftItem[] | undefined> {
  const [family, name] = table.split(' ');
  const r = await run('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', family!, name!]);
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(r.stdout) as { nftables: NftItem[] }).nftables;
}

/** `nft -j list table` inside a namespace, as an image; null when the table is not there. */
export async function observeTable(netns: string, table: string): Promise<TableImage | null> {
  const items = await listNftTable(netns, table);
  return items ? imageOfNft(items) : null;
}

/** iptables' filter and nat tables inside a namespace (`iptables-save`), as an image. */
export async function observeIptables(netns: string): Promise<TableImage | null> {
  const r = await run('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'filter']);
  const n = await run('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'nat']);
  if (r.exitCode !== 0 || n.exitCode !== 0) return null;
  return imageOfIptables({ filter: r.stdout, nat: n.stdout });
}

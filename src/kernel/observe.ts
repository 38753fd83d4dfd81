import { availableParallelism } from 'node:os';
import type { LiveLab, LiveNetns, NamespaceQuery } from '../plan/live.js';
import { HELPER_PROTOCOL, OBSERVE_HELPER_PATH } from '../runtime-path.js';
import { KernelError } from '../errors.js';
import { describeOutcome } from './failure.js';
import { run } from './run.js';

/** Namespaces one observe helper reads before the work is shared with another (each costs about 0.3 ms). */
const NAMESPACES_PER_HELPER = 500;

/**
 * Reads the kernel state of many namespaces through the helper
 * (runtime/netlab-observe.py): links, addresses, routes, neighbours, FDB
 * entries and the sysctls asked for. A namespace that is gone reads as null.
 * A large lab is shared between one helper per core.
 */
export async function observeNamespaces(wanted: Map<string, NamespaceQuery>): Promise<LiveLab['namespaces']> {
  if (wanted.size === 0) return {};
  const all = [...wanted].map(([netns, query]) => ({ netns, ...query }));
  const helpers = Math.max(1, Math.min(availableParallelism(), Math.ceil(all.length / NAMESPACES_PER_HELPER)));
  const parts = Array.from({ length: helpers }, (_, h) => all.filter((_, i) => i % helpers === h));
  const results = await Promise.all(
    parts.map(async (namespaces) => {
      const r = await run('python3', [OBSERVE_HELPER_PATH], { input: JSON.stringify({ protocol: HELPER_PROTOCOL, namespaces }) });
      if (r.exitCode !== 0) throw new KernelError(`reading the lab's kernel state failed: ${describeOutcome(r)}`);
      return JSON.parse(r.stdout) as Record<string, LiveNetns | null>;
    }),
  );
  return Object.assign({}, ...results) as Record<string, LiveNetns | null>;
}

/** An nftables table as the kernel holds it: its chains and how many rules and elements it has. */
export interface LiveTable {
  chains: string[];
  rules: number;
  elements: number;
}

/** One entry of `nft -j` output: `{ "chain": {...} }`, `{ "rule": {...} }`, `{ "map": {...} }`, … */
export type NftItem = Record<string, Record<string, unknown>>;

/** The items of `nft -j list table FAMILY NAME` inside a namespace; undefined when the table (or the namespace) is not there. */
export async function listNftTable(netns: string, table: string): Promise<NftItem[] | undefined> {
  const [family, name] = table.split(' ');
  const r = await run('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', family!, name!]);
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(r.stdout) as { nftables: NftItem[] }).nftables;
}

/** `nft -j list table` inside a namespace; null when the table is not there. */
export async function observeTable(netns: string, table: string): Promise<LiveTable | null> {
  const items = (await listNftTable(netns, table)) as Array<Record<string, { name?: string; elem?: unknown[] }>> | undefined;
  if (!items) return null;
  const chains = items.flatMap((i) => (i.chain?.name ? [i.chain.name] : []));
  const rules = items.filter((i) => i.rule).length;
  const elements = items.reduce((n, i) => n + (i.set?.elem?.length ?? 0) + (i.map?.elem?.length ?? 0), 0);
  return { chains, rules, elements };
}

/** iptables' filter and nat tables inside a namespace (`iptables-save`): their chains and how many rules. */
export async function observeIptables(netns: string): Promise<LiveTable | null> {
  const r = await run('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'filter']);
  const n = await run('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'nat']);
  if (r.exitCode !== 0 || n.exitCode !== 0) return null;
  const lines = `${r.stdout}\n${n.stdout}`.split('\n');
  return {
    chains: lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!),
    rules: lines.filter((l) => l.startsWith('-A ')).length,
    elements: 0,
  };
}

import type { Check } from './types.js';

/** One of `total` parts of a lab's tests, 1-based: `--shard 2/3`. */
export interface Shard {
  index: number;
  total: number;
}

/**
 * The checks of one shard: every total-th, starting at the index-th, in the
 * order the lab's tests expand. Deterministic, so the shards of one lab file
 * together run every check exactly once; dealt round-robin, so the mesh's
 * slow and fast cases spread evenly over the machines.
 */
export function shardOf<T extends Check>(checks: T[], shard: Shard): T[] {
  return checks.filter((_, i) => i % shard.total === shard.index - 1);
}

import type { LiveLab } from '../plan/live.js';

/*
 * What the lab's watcher says, as status and drift use it: shared by
 * lifecycle/watch.ts, which asks, and lifecycle/drift.ts, which reads the
 * kernel with it (so neither imports the other both ways).
 */

/** What `status` read of the unwatched namespaces with the stored query, before it planned. */
export interface HeadStart {
  text: string;
  live: LiveLab['namespaces'];
}

/** Which namespaces need not be read, and why the others must be. */
export interface Vouched {
  /** Whether the watcher `up` started answered about this plan's namespaces, with nothing lost. */
  answered: boolean;
  /** Watched namespaces the watcher reports unchanged since its baseline (none unless it answered). */
  unchanged: string[];
  /** In words, for `status`: `answered: 2 of 4 changed`, `not running`, `lost notifications (…)`. */
  watcher: string;
}

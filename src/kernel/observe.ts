import type { LiveLab, LiveNetns } from '../plan/live.js';
import { HELPER_PROTOCOL, OBSERVE_HELPER_PATH } from '../runtime-path.js';
import { KernelError } from '../errors.js';
import { describeOutcome } from './failure.js';
import { run } from './run.js';

/**
 * Reads the kernel state of many namespaces through one helper process
 * (runtime/netlab-observe.py): links, addresses, routes, neighbours, FDB
 * entries and the sysctls asked for. A namespace that is gone reads as null.
 */
export async function observeNamespaces(wanted: Map<string, string[]>): Promise<LiveLab['namespaces']> {
  if (wanted.size === 0) return {};
  const request = { protocol: HELPER_PROTOCOL, namespaces: [...wanted].map(([netns, sysctls]) => ({ netns, sysctls })) };
  const r = await run('python3', [OBSERVE_HELPER_PATH], { input: JSON.stringify(request) });
  if (r.exitCode !== 0) throw new KernelError(`reading the lab's kernel state failed: ${describeOutcome(r)}`);
  return JSON.parse(r.stdout) as Record<string, LiveNetns | null>;
}

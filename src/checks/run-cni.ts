import { cniCaches, cniCheck, type CniCache } from '../kernel/cni.js';
import { mapLimit } from '../kernel/run.js';
import { result } from './result.js';
import type { CniCheck, TestResult } from './types.js';

/**
 * CHECK, as a runtime runs it: every attachment cached for the pod (its
 * loopback and its network), each plugin given the cached result. A pod with
 * nothing cached fails: its plugins never finished ADD.
 */
export async function runCniChecks(
  items: Array<{ check: CniCheck; index: number }>,
  options: { concurrency: number; stateDir: string },
  record: (i: number, r: TestResult) => void,
): Promise<void> {
  if (items.length === 0) return;
  // Each pod's attachments, in the order they were made (grouped once: a lab has two per pod).
  const byPod = new Map<string, CniCache[]>();
  for (const c of (await cniCaches(options.stateDir)).reverse()) byPod.set(c.op.containerId, [...(byPod.get(c.op.containerId) ?? []), c]);
  await mapLimit(items, options.concurrency, async ({ check, index }) => {
    const started = performance.now();
    const mine = byPod.get(check.containerId) ?? [];
    if (mine.length === 0) {
      record(index, result(check, false, `no CNI result is cached for pod ${check.pod}: its ADD never finished`, started, {}));
      return;
    }
    const output: string[] = [];
    for (const cache of mine) {
      const o = await cniCheck(cache);
      const what = `CHECK ${cache.op.network} ${cache.op.ifname} (${cache.op.plugins.map((p) => p.type).join(', ')})`;
      output.push(o.ok ? `${what}: ok` : `${what}: ${o.message}`);
      if (!o.ok) {
        record(index, result(check, false, o.message, started, { output }));
        return;
      }
    }
    record(index, result(check, true, `the plugins' CHECK passed for ${mine.map((c) => c.op.ifname).join(' and ')}`, started, { output }));
  });
}

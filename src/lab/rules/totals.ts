import { MAX_PODS } from '../limits.js';
import type { RawLab } from '../raw.js';
import { problem, type RuleProblem } from './problem.js';

/**
 * The number of pods the file asks for, checked before replicas are
 * expanded: 200 entries of `replicas: 5000` must be refused from the counts
 * alone, not after a million pods were made in memory.
 */
export function checkTotals(raw: RawLab): RuleProblem[] {
  let total = 0;
  const pods = raw.pods ?? [];
  for (let i = 0; i < pods.length; i++) {
    total += pods[i]!.replicas ?? 1;
    if (total > MAX_PODS) {
      const asked = pods.reduce((sum, p) => sum + (p.replicas ?? 1), 0);
      return [problem(['pods', i], `the lab asks for ${asked} pods, more than netlab builds (${MAX_PODS})`, `the pods up to this entry already make ${total}`)];
    }
  }
  return [];
}

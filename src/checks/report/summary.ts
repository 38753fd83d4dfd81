import type { TestResult } from '../types.js';

export interface Summary {
  passed: number;
  failed: number;
  /** Conformance cases by group: how many passed of how many. */
  conformance: Record<string, { passed: number; total: number }>;
}

export function summarize(results: TestResult[]): Summary {
  const conformance: Summary['conformance'] = {};
  for (const r of results) {
    if (!r.group) continue;
    const g = (conformance[r.group] ??= { passed: 0, total: 0 });
    g.total++;
    if (r.status === 'passed') g.passed++;
  }
  return {
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    conformance,
  };
}

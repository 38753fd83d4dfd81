import type { Check, TestResult } from './types.js';

/** Seconds a probe may take before it counts as no answer. */
export const REACHABLE_TIMEOUT = 3;

/** A check's result, timed from `started` (a performance.now() reading). */
export function result(check: Check, ok: boolean, message: string, started: number, evidence: TestResult['evidence']): TestResult {
  return {
    name: check.name,
    kind: check.kind,
    ...(check.kind === 'conformance' ? { group: check.group } : {}),
    status: ok ? 'passed' : 'failed',
    durationMs: Math.round(performance.now() - started),
    message,
    evidence,
  };
}

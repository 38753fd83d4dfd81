import type { TestResult } from '../types.js';
import { summarize } from './summary.js';

/** The whole run as one JSON document: one object per test with its evidence. */
export function toJson(lab: string, results: TestResult[], seconds: number): string {
  const s = summarize(results);
  return `${JSON.stringify({ lab, passed: s.passed, failed: s.failed, durationMs: Math.round(seconds * 1000), tests: results }, null, 2)}\n`;
}

import junitModule, { type Builder } from 'junit-report-builder';
import type { TestResult } from '../types.js';
import { formatResult } from './text.js';

// The package is CommonJS whose module.exports is the builder, while its types
// describe an ES default export: under NodeNext that lands one level deeper.
const junit = ((junitModule as unknown as { default?: Builder }).default ?? junitModule) as unknown as Builder;

/**
 * JUnit XML as GitHub, GitLab and Jenkins read it: one suite per kind of
 * test, one testcase per test, failures carrying the evidence.
 */
export function toJunit(lab: string, results: TestResult[]): string {
  const builder = junit.newBuilder();
  const suites = new Map<string, ReturnType<typeof builder.testSuite>>();
  for (const r of results) {
    const suiteName = r.group ? `conformance ${r.group}` : r.kind;
    let suite = suites.get(suiteName);
    if (!suite) suites.set(suiteName, (suite = builder.testSuite().name(`${lab}: ${suiteName}`)));
    const tc = suite
      .testCase()
      .className(`netlab.${lab}.${r.group ?? r.kind}`)
      .name(r.name)
      .time(r.durationMs / 1000);
    if (r.status === 'failed') tc.failure(r.message, 'netlab').standardOutput(formatResult(r));
    else tc.standardOutput(r.message);
  }
  return builder.build();
}

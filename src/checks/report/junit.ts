import { XMLBuilder } from 'fast-xml-parser';
import type { TestResult } from '../types.js';
import { formatResult } from './text.js';

/** Characters XML 1.0 cannot carry at all, even escaped (a tool's output may hold them): C0 controls but tab and newlines, U+FFFE, U+FFFF. */
function notXml(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff;
}

const text = (s: string) => (/[^\t\n\r\u0020-\ufffd]/.test(s) ? [...s].map((ch) => (notXml(ch.charCodeAt(0)) ? '\ufffd' : ch)).join('') : s);

/**
 * JUnit XML as GitHub, GitLab and Jenkins read it: one suite per kind of
 * test, one testcase per test (its name is its id: unique in the lab),
 * failures carrying the evidence. Built with fast-xml-parser's builder,
 * which escapes every attribute and text.
 */
export function toJunit(lab: string, results: TestResult[]): string {
  const suites = new Map<string, TestResult[]>();
  for (const r of results) {
    const suite = r.group ? `conformance ${r.group}` : r.kind;
    const list = suites.get(suite);
    if (list) list.push(r);
    else suites.set(suite, [r]);
  }
  const failed = (rs: TestResult[]) => rs.filter((r) => r.status === 'failed').length;
  const seconds = (rs: TestResult[]) => (rs.reduce((t, r) => t + r.durationMs, 0) / 1000).toFixed(3);
  const body = {
    testsuites: {
      '@_tests': results.length,
      '@_failures': failed(results),
      '@_errors': 0,
      '@_skipped': 0,
      '@_time': seconds(results),
      testsuite: [...suites].map(([suite, rs]) => ({
        '@_name': text(`${lab}: ${suite}`),
        '@_tests': rs.length,
        '@_failures': failed(rs),
        '@_errors': 0,
        '@_skipped': 0,
        '@_time': seconds(rs),
        testcase: rs.map((r) => ({
          '@_classname': text(`netlab.${lab}.${r.group ?? r.kind}`),
          '@_name': text(r.name),
          '@_time': (r.durationMs / 1000).toFixed(3),
          ...(r.status === 'failed'
            ? { failure: { '@_message': text(r.message), '@_type': 'netlab' }, 'system-out': text(formatResult(r)) }
            : { 'system-out': text(r.message) }),
        })),
      })),
    },
  };
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(body) as string}`;
}

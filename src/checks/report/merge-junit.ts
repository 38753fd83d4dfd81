import { XMLBuilder, XMLParser } from 'fast-xml-parser';

type Node = Record<string, unknown>;

const ATTRS = { ignoreAttributes: false, attributeNamePrefix: '@_', cdataPropName: '#cdata', format: true, suppressEmptyNode: true } as const;

/**
 * Several JUnit reports of one lab (the shards of a CI matrix) as one: suites
 * of the same name become one suite holding all their cases, every count
 * added up again from the cases themselves. A case that appears in two
 * reports is a sharding mistake, and is refused rather than counted twice.
 */
export function mergeJunit(reports: Array<{ name: string; xml: string }>): string {
  const parser = new XMLParser({ ...ATTRS, isArray: (name) => name === 'testsuite' || name === 'testcase' });
  const suites = new Map<string, Node[]>();
  const seen = new Map<string, string>();
  for (const { name, xml } of reports) {
    const doc = parser.parse(xml) as Node;
    const root = (doc.testsuites ?? {}) as Node;
    const list = (root.testsuite ?? (doc.testsuite as Node[] | undefined) ?? []) as Node[];
    if (!doc.testsuites && !doc.testsuite) throw new Error(`${name}: not a JUnit report (no testsuites or testsuite element)`);
    for (const suite of list) {
      const suiteName = String(suite['@_name'] ?? '');
      const cases = (suite.testcase ?? []) as Node[];
      for (const c of cases) {
        const time = c['@_time'];
        if (time !== undefined && !/^\d+(\.\d+)?$/.test(String(time)))
          throw new Error(`${name}: test "${String(c['@_name'])}" has time="${String(time).slice(0, 40)}", not a number of seconds`);
        const key = `${suiteName}\u0000${String(c['@_classname'] ?? '')}\u0000${String(c['@_name'] ?? '')}`;
        const before = seen.get(key);
        if (before) throw new Error(`${name}: test "${String(c['@_name'])}" is also in ${before}: the shards overlap`);
        seen.set(key, name);
      }
      suites.set(suiteName, [...(suites.get(suiteName) ?? []), ...cases]);
    }
  }
  const count = (cases: Node[], key: string) => cases.filter((c) => key in c).length;
  const merged = [...suites.entries()].map(([name, cases]) => ({
    '@_name': name,
    '@_tests': cases.length,
    '@_failures': count(cases, 'failure'),
    '@_errors': count(cases, 'error'),
    '@_skipped': count(cases, 'skipped'),
    '@_time': cases.reduce((t, c) => t + Number(c['@_time'] ?? 0), 0).toFixed(3),
    testcase: cases,
  }));
  const all = merged.flatMap((s) => s.testcase);
  const body = {
    testsuites: {
      '@_tests': all.length,
      '@_failures': count(all, 'failure'),
      '@_errors': count(all, 'error'),
      '@_skipped': count(all, 'skipped'),
      testsuite: merged,
    },
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLBuilder(ATTRS).build(body) as string}`;
}

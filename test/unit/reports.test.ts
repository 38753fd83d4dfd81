import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { toJson } from '../../src/checks/report/json.js';
import { toJunit } from '../../src/checks/report/junit.js';
import { formatResult } from '../../src/checks/report/text.js';
import type { TestResult } from '../../src/checks/types.js';

const passed: TestResult = {
  name: 'ping pod1 → pod4',
  kind: 'ping',
  status: 'passed',
  durationMs: 12,
  message: '1/1 replies',
  evidence: { command: 'ip netns exec x ping', exitCode: 0 },
};
const failed: TestResult = {
  name: 'tcp pod1 → pod4:80 <&> "quoted"',
  kind: 'tcp',
  status: 'failed',
  durationMs: 3000,
  message: 'pod4:80/tcp: timed out after 3 s',
  evidence: { command: 'probe', output: ['error: timed out'], diagnosis: ['$ ip -n x route get 10.244.1.3', 'RTNETLINK answers: Network is unreachable'] },
};
const conformance: TestResult = {
  name: 'conformance: pod a → pod b',
  kind: 'conformance',
  group: 'pod-to-pod',
  status: 'passed',
  durationMs: 2,
  message: 'ping',
  evidence: {},
};

describe('reports', () => {
  it('writes JUnit XML that parses, one testcase per test, failures with evidence', () => {
    const xml = toJunit('two-node', [passed, failed, conformance]);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml);
    expect(doc.testsuites['@_tests']).toBe('3');
    expect(doc.testsuites['@_failures']).toBe('1');
    const suites = [doc.testsuites.testsuite].flat();
    const cases = suites.flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as Array<Record<string, unknown>>;
    expect(cases.map((c) => c['@_name'])).toEqual([passed.name, failed.name, conformance.name]);
    const bad = cases.find((c) => c['@_name'] === failed.name)!;
    expect((bad.failure as Record<string, string>)['@_message']).toBe(failed.message);
    expect(String(bad['system-out'])).toContain('RTNETLINK answers: Network is unreachable');
  });

  it('writes JUnit that parses whatever a tool printed: escapes, NUL, markup, ]]>', () => {
    const odd = { ...passed, name: 'a \u001b[31m<b>', message: 'x\u0000y ]]> & <z> 😀' };
    const xml = toJunit('two-node', [odd]);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml);
    expect(doc.testsuites.testsuite.testcase['@_name']).toBe('a \ufffd[31m<b>');
  });

  it('writes JSON with one object per test, its status, duration and evidence', () => {
    const doc = JSON.parse(toJson('two-node', [passed, failed], 3.2));
    expect(doc).toMatchObject({ lab: 'two-node', passed: 1, failed: 1, durationMs: 3200 });
    expect(doc.tests[1]).toMatchObject({ status: 'failed', durationMs: 3000, evidence: { diagnosis: expect.any(Array) } });
  });

  it('prints a failure with what helps find the cause', () => {
    const text = formatResult(failed);
    expect(text).toMatch(/^✘ tcp pod1 → pod4:80/);
    expect(text).toContain('what the kernel says:');
    expect(text).toContain('RTNETLINK answers: Network is unreachable');
  });
});

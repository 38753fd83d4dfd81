import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseCLI } from '../../src/cli/parse.js';
import { shardOf } from '../../src/checks/shard.js';
import { mergeJunit } from '../../src/checks/report/merge-junit.js';
import { toJunit } from '../../src/checks/report/junit.js';
import { resolveChecks } from '../../src/checks/resolve.js';
import { labOf } from '../helpers/labs.js';
import type { Check, TestResult } from '../../src/checks/types.js';

const doc = readFileSync('docs/ci.md', 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);

describe('the GitHub Action', () => {
  const action = parse(readFileSync('action.yml', 'utf8')) as {
    inputs: Record<string, { required?: boolean }>;
    runs: { using: string; steps: Array<{ run: string; env?: Record<string, string> }> };
  };

  it('is a composite action with the inputs the page uses', () => {
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs).sort()).toEqual(['cni-path', 'junit', 'lab', 'shard']);
    expect(action.inputs.lab!.required).toBe(true);
  });

  it('installs with setup.sh and runs netlab test with flags the command line takes', () => {
    const [install, test] = action.runs.steps;
    expect(install!.run).toContain('scripts/setup.sh');
    expect(test!.run).toContain('bin/netlab.js" "${args[@]}"');
    for (const flag of ['--junit', '--shard', '--cni-path']) expect(test!.run).toContain(flag);
    expect(parseCLI(['test', 'lab.yaml', '--junit', 'x.xml', '--shard', '1/2', '--cni-path', '/opt/p'])).toMatchObject({
      command: 'test',
      junit: 'x.xml',
      shard: { index: 1, total: 2 },
      cniPaths: ['/opt/p'],
    });
  });

  it('never splices an input into its script: they arrive as environment variables', () => {
    for (const step of action.runs.steps) expect(step.run).not.toMatch(/\$\{\{/);
    expect(Object.values(action.runs.steps[1]!.env ?? {})).toEqual([
      '${{ inputs.lab }}',
      '${{ inputs.shard }}',
      '${{ inputs.junit }}',
      '${{ inputs.cni-path }}',
    ]);
  });
});

describe("the page's workflow and GitLab job", () => {
  it('the workflow uses the action with its inputs, one shard per matrix machine, all of them', () => {
    const workflow = yamlBlocks.find((b) => 'jobs' in b) as {
      jobs: Record<string, { strategy?: { matrix: { shard: string[] } }; steps: Array<{ uses?: string; with?: Record<string, string> }> }>;
    };
    const job = workflow.jobs.conformance!;
    const shards = job.strategy!.matrix.shard;
    expect(shards).toEqual(shards.map((_, i) => `${i + 1}/${shards.length}`));
    const step = job.steps.find((s) => s.uses?.startsWith('netlab/netlab'))!;
    const inputs = Object.keys((parse(readFileSync('action.yml', 'utf8')) as { inputs: object }).inputs);
    for (const key of Object.keys(step.with!)) expect(inputs).toContain(key);
    expect(JSON.stringify(workflow.jobs.report)).toContain('merge-junit');
  });

  it('the GitLab job shards by CI_NODE_INDEX/CI_NODE_TOTAL with a command the command line takes', () => {
    const gitlab = yamlBlocks.find((b) => 'netlab-conformance' in b)!['netlab-conformance'] as { parallel: number; script: string[] };
    expect(gitlab.parallel).toBeGreaterThan(1);
    const command = gitlab.script.find((l) => l.includes('netlab.js test'))!;
    const argv = command.replace('"$CI_NODE_INDEX/$CI_NODE_TOTAL"', '1/2').replace('"netlab-$CI_NODE_INDEX.xml"', 'netlab-1.xml').split(' ').slice(2);
    expect(parseCLI(argv)).toMatchObject({ command: 'test', shard: { index: 1, total: 2 }, junit: 'netlab-1.xml' });
  });
});

describe('shards', () => {
  const checks = Array.from({ length: 10 }, (_, i) => ({ kind: 'cni', name: `c${i}`, pod: `p${i}`, containerId: `x${i}` }) as Check);

  it('together hold every test exactly once, dealt round-robin', () => {
    for (const total of [1, 2, 3, 7, 10, 13]) {
      const parts = Array.from({ length: total }, (_, i) => shardOf(checks, { index: i + 1, total }));
      expect(
        parts
          .flat()
          .map((c) => c.name)
          .sort(),
      ).toEqual(checks.map((c) => c.name).sort());
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(shardOf(checks, { index: 2, total: 3 }).map((c) => c.name)).toEqual(['c1', 'c4', 'c7']);
  });

  it('are refused when the index is not between 1 and the total', () => {
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1-2']) expect(() => parseCLI(['test', 'l.yaml', '--shard', bad])).toThrow(/--shard takes I\/N/);
  });
});

describe('merge-junit', () => {
  const result = (name: string, failed = false): TestResult => ({
    name,
    kind: 'conformance',
    group: 'pod-to-pod',
    status: failed ? 'failed' : 'passed',
    durationMs: 5,
    message: failed ? 'saw 10.244.0.0, not 10.244.0.2: NAT' : 'ok',
    evidence: {},
  });

  it('makes one suite of each name from the shards, counts recomputed from the cases', () => {
    const a = toJunit('lab', [result('a'), result('b', true)]);
    const b = toJunit('lab', [result('c')]);
    const merged = mergeJunit([
      { name: 'a.xml', xml: a },
      { name: 'b.xml', xml: b },
    ]);
    expect(merged).toMatch(/<testsuites tests="3" failures="1" errors="0" skipped="0">/);
    expect(merged.match(/<testsuite /g)).toHaveLength(1);
    expect(merged).toContain('NAT');
  });

  it('refuses shards that overlap, and what is not JUnit', () => {
    const a = toJunit('lab', [result('a')]);
    expect(() =>
      mergeJunit([
        { name: 'a.xml', xml: a },
        { name: 'again.xml', xml: a },
      ]),
    ).toThrow(/also in a\.xml: the shards overlap/);
    expect(() => mergeJunit([{ name: 'x.xml', xml: '<html/>' }])).toThrow(/not a JUnit report/);
  });

  it('refuses a time that is not a number (time="abc" made the suite time NaN)', () => {
    const xml = toJunit('lab', [result('a')]).replace(/(<testcase [^>]*)time="0.005"/, '$1time="abc"');
    expect(() => mergeJunit([{ name: 'a.xml', xml }])).toThrow(/a\.xml: test "a" has time="abc", not a number of seconds/);
  });

  it('two tests written alike in one lab are two ids, so their shards never "overlap"', () => {
    const lab = labOf({
      name: 'twins',
      nodes: [{ name: 'n1' }],
      pods: [{ name: 'a' }, { name: 'b' }],
      tests: [
        { ping: { from: 'a', to: 'b' } },
        { ping: { from: 'a', to: 'b' } },
        { name: 'same', ping: { from: 'a', to: 'b' } },
        { name: 'same', ping: { from: 'b', to: 'a' } },
      ],
    });
    const checks = resolveChecks(lab);
    expect(checks.map((c) => c.name)).toEqual(['ping a → b', 'ping a → b #2', 'same', 'same #2']);
    const shard = (i: number) =>
      toJunit(
        'twins',
        shardOf(checks, { index: i, total: 2 }).map((c) => result(c.name)),
      );
    expect(() =>
      mergeJunit([
        { name: '1.xml', xml: shard(1) },
        { name: '2.xml', xml: shard(2) },
      ]),
    ).not.toThrow();
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ipj, isRoot, netlab, testJson, writeLab } from '../helpers/kernel.js';

const LAB = 'it-rounds';

/**
 * A mesh whose ARP entries would not fit half the kernel's shared neighbour
 * table (32 pods on one node: 32 × 31 + 64 entries against 512) runs in
 * rounds, one prober for all of them, each round's caches emptied before
 * the next; the pods are left with nothing learned. Seen as an outsider would.
 */
describe.skipIf(!isRoot)('conformance in rounds', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('passes the whole mesh in rounds and leaves no learned neighbour entry behind', async () => {
    const file = await writeLab(
      LAB,
      [`name: ${LAB}`, 'nodes: [{ name: node1 }]', 'pods: [{ name: p, replicas: 32 }]', 'tests: [{ conformance: {} }]', ''].join('\n'),
    );
    expect((await netlab(['up', file])).code).toBe(0);
    const r = await netlab(['test', file], { NETLAB_PROFILE: '1' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rounds = Number(/profile conformance: (\d+) rounds/.exec(r.stderr)?.[1]);
    expect(rounds).toBeGreaterThan(1);
    for (const i of [0, 15, 31]) {
      const learned = await ipj<Array<{ state: string[] }>>(`netlab.${LAB}.pod.p-${i}`, ['neigh', 'show']);
      expect(learned.filter((e) => !e.state.includes('PERMANENT'))).toEqual([]);
    }
    const { code, report } = await testJson(file);
    expect(code).toBe(0);
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThan(32 * 31);
  });
});

/** table_fulls of the kernel's ARP cache: summed over CPUs, host-wide (every namespace shares the table). */
function tableFulls(): number {
  const lines = readFileSync('/proc/net/stat/arp_cache', 'utf8').trim().split('\n');
  const column = lines[0]!.trim().split(/\s+/).indexOf('table_fulls');
  return lines.slice(1).reduce((sum, line) => sum + parseInt(line.trim().split(/\s+/)[column]!, 16), 0);
}

describe.skipIf(!isRoot)('a policy matrix in rounds', () => {
  const lab = 'it-matrix-rounds';
  afterAll(async () => {
    await netlab(['down', lab]);
  });

  it('120 pods on one node (14,280 cells) pass without one refused neighbour entry (13,059 were falsely blocked)', async () => {
    const file = await writeLab(
      lab,
      [
        `name: ${lab}`,
        'nodes: [{ name: node1 }]',
        'pods: [{ name: p, replicas: 120, containers: [{ name: c, listen: [80/tcp] }] }]',
        'tests: [{ policyMatrix: { ports: [80] } }]',
        '',
      ].join('\n'),
    );
    expect((await netlab(['up', file])).code).toBe(0);
    const before = tableFulls();
    const { code, report } = await testJson(file);
    expect(code, report.tests[0]?.message).toBe(0);
    expect(report.tests[0]!.message).toBe('all 14280 cells as the policies say (reachability: correct: 14280, incorrect: 0)');
    expect(report.tests[0]!.evidence.command).toMatch(/in \d+ rounds that fit the kernel's neighbour table/);
    expect(tableFulls() - before).toBe(0);
  }, 180_000);
});

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

import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { containsAddress, parseCidr } from '../../src/lab/cidr.js';
import { loadLabText } from '../../src/lab/index.js';
import { planLab } from '../../src/plan/index.js';
import { mangledText, mutatedLab } from '../helpers/mutate.js';

/** Either a sound lab that plans, or problems that each say where: never a throw. */
function checkOutcome(text: string): void {
  const result = loadLabText('fuzz.yaml', text);
  if (!result.ok) {
    expect(result.problems.length).toBeGreaterThan(0);
    for (const p of result.problems) {
      expect(formatProblem(p)).toMatch(/^fuzz\.yaml:\d+:\d+: \S/);
      expect(p.position.line).toBeGreaterThanOrEqual(1);
      expect(p.position.col).toBeGreaterThanOrEqual(1);
    }
    return;
  }
  const lab = result.lab;
  const ips = lab.pods.map((p) => p.ip);
  expect(new Set(ips).size).toBe(ips.length);
  for (const pod of lab.pods) {
    const node = lab.nodes.find((n) => n.name === pod.node)!;
    expect(containsAddress(parseCidr(node.podSubnet), pod.ip)).toBe(true);
    expect(pod.hostVeth.length).toBeLessThanOrEqual(15);
  }
  expect(() => planLab(lab)).not.toThrow();
}

/**
 * A fixed seed keeps CI deterministic; FUZZ_SEED=random (or a number) explores
 * further. Seeds that found bugs became fixtures in test/fixtures/broken.
 */
const seed = process.env.FUZZ_SEED === 'random' ? Date.now() : Number(process.env.FUZZ_SEED ?? 20261123);

describe('random damage to valid labs', () => {
  it('mutated values, removed keys and added keys give a lab or positioned errors', () => {
    fc.assert(
      fc.property(mutatedLab, (lab) => checkOutcome(lab === undefined ? "" : String(stringify(lab) ?? ""))),
      { numRuns: 1500, seed },
    );
  });

  it('mangled text gives a lab or positioned errors', () => {
    fc.assert(
      fc.property(mangledText, (text) => checkOutcome(text)),
      { numRuns: 1500, seed },
    );
  });
});

import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { formatProblem } from '../../src/errors.js';
import { loadLabText } from '../../src/lab/index.js';
import type { Lab } from '../../src/lab/types.js';

/** Resolves a lab given as an object (written out as YAML first, like a file would be). */
export function labOf(raw: object, file = 'test.yaml'): Lab {
  const result = loadLabText(file, stringify(raw));
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.lab;
}

/** The problems of a lab given as an object, formatted. */
export function problemsOf(raw: object | string, file = 'test.yaml'): string[] {
  const result = loadLabText(file, typeof raw === 'string' ? raw : stringify(raw));
  return result.ok ? [] : result.problems.map(formatProblem);
}

/** One of the labs shipped in labs/. */
export function shippedLab(name: string): Lab {
  const file = `labs/${name}.yaml`;
  const result = loadLabText(file, readFileSync(file, 'utf8'));
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.lab;
}

/** A lab of `nodes` nodes and `pods` pods spread over them (for scale tests and benchmarks). */
export function bigLab(name: string, nodes: number, pods: number, backend: 'vxlan' | 'host-gw' = 'vxlan'): object {
  return {
    name,
    network: { backend, podCIDR: '10.244.0.0/16', nodeSubnetSize: 24 },
    nodes: Array.from({ length: nodes }, (_, i) => ({ name: `node${i + 1}` })),
    pods: [{ name: 'pod', replicas: pods, containers: [{ name: 'app', listen: ['80/tcp'] }] }],
  };
}

import type { Op, Stage, StageName } from './ops.js';

/** What one concern (fabric, nodes, pods, a backend) adds to each stage. */
export type Contribution = Partial<Record<StageName, Op[]>>;

export const STAGES: ReadonlyArray<{ name: StageName; title: string }> = [
  { name: 'namespaces', title: 'Create namespaces' },
  { name: 'links', title: 'Create links (veth pairs, bridges, VXLAN)' },
  { name: 'addresses', title: 'Assign addresses and bring links up' },
  { name: 'routes', title: 'Install routes, neighbours and FDB entries' },
  { name: 'sysctls', title: 'Set sysctls' },
  { name: 'containers', title: 'Start containers' },
];

/** Concatenates contributions stage by stage, in the order given; empty stages are dropped. */
export function mergeContributions(parts: Contribution[]): Stage[] {
  return STAGES.map(({ name, title }) => ({
    name,
    title,
    ops: parts.flatMap((p) => p[name] ?? []),
  })).filter((s) => s.ops.length > 0);
}

import type { Lab } from '../lab/types.js';
import type { CniCheck } from './types.js';

/** With CNI plugins wiring the pods: a `cni-check` per pod, the plugins' own CHECK of what they made. */
export function cniConformance(lab: Lab): CniCheck[] {
  if (lab.network.cni.kind === 'builtin') return [];
  return lab.pods.map((pod) => ({ kind: 'cni', name: `cni-check: pod ${pod.name}`, pod: pod.name, containerId: pod.netns }));
}

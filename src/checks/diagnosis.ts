import type { Lookup } from '../kernel/diagnose.js';
import type { Lab } from '../lab/types.js';
import type { Source } from './types.js';

/**
 * What to look at when traffic from `from` to `dst` did not behave: the
 * route the kernel picks and the neighbours in the source, then the same on
 * the source's node, with the VXLAN entries that carry it across. Pure.
 */
export function diagnosisLookups(lab: Lab, from: Source, dst: string): Lookup[] {
  const lookups: Lookup[] = [
    { tool: 'ip', netns: from.netns, args: ['route', 'get', dst] },
    { tool: 'ip', netns: from.netns, args: ['neigh', 'show'] },
  ];
  const nodeName = from.kind === 'pod' ? lab.pods.find((p) => p.name === from.name)?.node : undefined;
  const node = lab.nodes.find((n) => n.name === nodeName);
  if (!node || dst.startsWith('127.')) return lookups;
  lookups.push({ tool: 'ip', netns: node.netns, args: ['route', 'get', dst] });
  const backend = lab.network.backend;
  if (backend.kind === 'vxlan' && lab.nodes.length > 1) {
    lookups.push(
      { tool: 'ip', netns: node.netns, args: ['neigh', 'show', 'dev', backend.device] },
      { tool: 'bridge', netns: node.netns, args: ['fdb', 'show', 'dev', backend.device] },
    );
  } else {
    lookups.push({ tool: 'ip', netns: node.netns, args: ['neigh', 'show', 'dev', 'eth0'] });
  }
  return lookups;
}

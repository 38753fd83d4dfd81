import { parseCidr } from '../cidr.js';
import type { RawLab } from '../raw.js';
import type { NetworkSettings } from '../settings.js';
import { problem, type RuleProblem } from './problem.js';

/**
 * What Calico decides for itself, a calico lab may not set: nodes take blocks
 * as they need them (no podSubnet, no nodeSubnetSize), IPAM picks pod
 * addresses (no pod `ip`). And `calico:` means nothing to flannel.
 */
export function checkCalico(raw: RawLab, s: NetworkSettings): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const calico = raw.network?.calico;
  if (s.backend !== 'calico') {
    if (calico)
      problems.push(
        problem(['network', 'calico'], `is only used with backend calico, and the backend is ${s.backend}`, 'remove it, or set network.backend: calico'),
      );
    return problems;
  }
  if (raw.network?.nodeSubnetSize !== undefined) {
    problems.push(
      problem(['network', 'nodeSubnetSize'], "is flannel's: Calico nodes take blocks of podCIDR as they need them", 'use network.calico.blockSize'),
    );
  }
  raw.nodes.forEach((node, i) => {
    if (node.podSubnet !== undefined) {
      problems.push(problem(['nodes', i, 'podSubnet'], "is flannel's: a Calico node takes blocks of podCIDR as its pods need them", 'remove it'));
    }
  });
  (raw.pods ?? []).forEach((pod, i) => {
    if (pod.ip !== undefined) problems.push(problem(['pods', i, 'ip'], "Calico IPAM picks the pods' addresses from their node's blocks", 'remove it'));
  });
  const pool = parseCidr(s.podCIDR);
  if (s.calico.blockSize < pool.prefix) {
    problems.push(
      problem(
        ['network', 'calico', 'blockSize'],
        `/${s.calico.blockSize} blocks do not fit in podCIDR ${pool.text}`,
        `use a block size of at least ${pool.prefix}`,
      ),
    );
  }
  const reflector = s.calico.routeReflector;
  if (reflector !== undefined && !raw.nodes.some((n) => n.name === reflector)) {
    problems.push(problem(['network', 'calico', 'routeReflector'], `names no node: "${reflector}"`, `nodes: ${raw.nodes.map((n) => n.name).join(', ')}`));
  }
  return problems;
}

import { UsageError } from '../errors.js';
import { setFabricPort } from '../kernel/plug.js';
import { preflight } from '../kernel/preflight.js';
import { objectNameProblem } from '../lab/names.js';
import { runningLab } from './target.js';

/**
 * `netlab node LAB NODE down|up`: unplugs a node from the fabric (its eth0's
 * peer set down, so its speaker, BGP sessions and pods lose the rest of the
 * lab) or plugs it back. The node keeps running, as a real node cut off by a
 * dead switch port does: MetalLB's peers see it go silent and elect again.
 */
export async function plugNode(labName: string, node: string, state: 'up' | 'down'): Promise<string> {
  const problem = objectNameProblem(node);
  if (problem) throw new UsageError(problem);
  await preflight([]);
  const lab = await runningLab(labName);
  const n = lab.nodes.find((x) => x.name === node);
  if (!n) throw new UsageError(`lab "${lab.name}" has no node named "${node}" (it has: ${lab.nodes.map((x) => x.name).join(', ')})`);
  await setFabricPort(lab.fabric.netns, n.fabricPort, state);
  return state === 'down'
    ? `node ${node} is unplugged: ${n.fabricPort} (its eth0's peer on the fabric) is down; \`netlab node ${lab.name} ${node} up\` plugs it back`
    : `node ${node} is plugged back: ${n.fabricPort} is up`;
}

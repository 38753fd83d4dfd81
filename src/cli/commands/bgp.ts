import { UsageError } from '../../errors.js';
import { runBirdc } from '../../kernel/bird.js';
import { objectNameProblem } from '../../lab/names.js';
import { preflight, BIRDC } from '../../kernel/preflight.js';
import { birdFiles } from '../../plan/bird.js';
import { labDir } from '../../state/paths.js';
import { readState } from '../../state/store.js';
import { checkedLabName } from '../target.js';

/** `netlab bgp LAB NODE [birdc words…]`: birdc against that node's BIRD, its output as is; exits with birdc's code. */
export async function bgp(inv: { lab: string; node: string; argv: string[] }): Promise<number> {
  const lab = checkedLabName(inv.lab);
  const problem = objectNameProblem(inv.node);
  if (problem) throw new UsageError(problem);
  await preflight([BIRDC]);
  const read = await readState(lab);
  if (read.kind !== 'ok') throw new UsageError(`lab "${lab}" is not up`);
  const { nodes, network } = read.state.lab;
  if (network.backend.kind !== 'calico')
    throw new UsageError(`lab "${lab}" runs no BGP: its backend is ${network.backend.kind} (BGP comes with network.backend: calico)`);
  if (!nodes.some((n) => n.name === inv.node))
    throw new UsageError(`lab "${lab}" has no node named "${inv.node}" (it has: ${nodes.map((n) => n.name).join(', ')})`);
  return runBirdc(birdFiles(labDir(lab), inv.node).socket, inv.argv);
}

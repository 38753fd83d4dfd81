import { UsageError } from '../../errors.js';
import { objectNameProblem } from '../../lab/names.js';
import { canonicalRef, findByRef } from '../../lab/namespaces.js';
import { execInNetns } from '../../kernel/exec.js';
import { listNetlabNetns } from '../../kernel/netns.js';
import { preflight } from '../../kernel/preflight.js';
import { readState } from '../../state/store.js';
import { checkedLabName } from '../target.js';

/** `netlab exec LAB NODE-OR-POD -- CMD...`: exits with the command's own code. */
export async function exec(inv: { lab: string; target: string; argv: string[] }): Promise<number> {
  const lab = checkedLabName(inv.lab);
  // NODE, POD or NAMESPACE/POD: each part a DNS label, so no path or option can hide in it.
  const problem =
    inv.target.split('/').length > 2 ? `"${inv.target}" is not NODE, POD or NAMESPACE/POD` : inv.target.split('/').map(objectNameProblem).find(Boolean);
  if (problem) throw new UsageError(problem);
  await preflight([]);
  const netns = await findNetns(lab, inv.target);
  return execInNetns(netns, inv.argv);
}

async function findNetns(lab: string, target: string): Promise<string> {
  const read = await readState(lab);
  if (read.kind === 'ok') {
    const { nodes, pods } = read.state.lab;
    const hit = nodes.find((n) => n.name === target) ?? findByRef(pods, target).found ?? (target === 'external' ? read.state.lab.external : undefined);
    if (hit) return hit.netns;
    const names = [...nodes.map((n) => n.name), ...pods.map((p) => p.name)];
    throw new UsageError(`lab "${lab}" has no node or pod named "${target}" (it has: ${names.join(', ')})`);
  }
  // No usable state: the namespace names themselves say what is there.
  const present = await listNetlabNetns(lab);
  const pod = canonicalRef(target).replace('/', '.');
  const hit = present.find((n) => n.endsWith(`.node.${target}`) || n.endsWith(`.pod.${pod}`));
  if (hit) return hit;
  throw new UsageError(present.length === 0 ? `lab "${lab}" is not up` : `lab "${lab}" has no node or pod named "${target}"`);
}

import { UsageError } from '../../errors.js';
import { execInNetns } from '../../kernel/exec.js';
import { TCPDUMP, preflight } from '../../kernel/preflight.js';
import { checkedLabName, runningLab } from '../target.js';

/** `netlab capture LAB NODE-OR-POD:IFACE [-- TCPDUMP-ARGS]`: tcpdump there, live; `-w FILE` passes through. */
export async function capture(inv: { lab: string; where: string; args: string[] }): Promise<number> {
  const lab = checkedLabName(inv.lab);
  const m = /^([a-z]([a-z0-9-]*[a-z0-9])?):([A-Za-z0-9_.@-]{1,15})$/.exec(inv.where);
  if (!m) throw new UsageError(`"${inv.where}" is not NODE-OR-POD:INTERFACE (e.g. node1:eth0, pod1:eth0, node2:flannel.1)`);
  await preflight([TCPDUMP]);
  const { nodes, pods } = await runningLab(lab);
  const target = nodes.find((n) => n.name === m[1]) ?? pods.find((p) => p.name === m[1]);
  if (!target) throw new UsageError(`lab "${lab}" has no node or pod named "${m[1]}"`);
  // -l: line-buffered, so a workshop projector shows each packet as it happens.
  const args = inv.args.length > 0 ? inv.args : ['-nn', '-e', '-l'];
  return execInNetns(target.netns, ['tcpdump', '-i', m[3]!, ...args]);
}

import { explainVerdict, policyVerdict } from '../lab/policies.js';
import type { Lab } from '../lab/types.js';
import type { Hop, Trace } from './types.js';

/**
 * NetworkPolicy's word on a traced packet, from the oracle (the lab's
 * policies; the walk follows routes, not filters): an allowed packet's last
 * hop names the policy and rule that let it in, a refused one ends where the
 * node's forward hook drops it, on the sender's node for egress, on the
 * receiver's for ingress, with the policies that isolate the pod.
 */
export function withPolicyVerdict(lab: Lab, trace: Trace): Trace {
  if (lab.policies.length === 0 || !trace.arrived) return trace;
  const last = trace.hops.at(-1)!;
  const dest = lab.pods.find((p) => p.netns === last.netns);
  const src = lab.pods.find((p) => p.ip === trace.packet.src);
  if (!dest) return trace;
  const proto = trace.packet.proto;
  const v = policyVerdict(lab.policies, lab.namespaces, src ? { pod: src } : { ip: trace.packet.src }, { pod: dest }, trace.packet.port, proto);
  if (v.allowed) {
    if (!v.egress.isolated && !v.ingress.isolated) return trace;
    return { ...trace, hops: [...trace.hops.slice(0, -1), { ...last, summary: `${last.summary}; NetworkPolicy: ${explainVerdict(v)}` }] };
  }
  const egressBlocked = v.egress.isolated && !v.egress.allowedBy;
  const dir = egressBlocked ? 'egress' : 'ingress';
  const pod = egressBlocked ? src! : dest;
  const peer = egressBlocked ? dest.name : (src?.name ?? trace.packet.src);
  const node = lab.nodes.find((n) => n.name === pod.node)!;
  const decision = egressBlocked ? v.egress : v.ingress;
  const policies = decision.isolated ? decision.policies.join(', ') : '';
  const inNode = trace.hops.map((h, i) => ({ h, i })).filter(({ h }) => h.netns === node.netns && (h.kind === 'route' || h.kind === 'bridge'));
  // The forward hook runs once the node has decided where the packet goes: after its route, or as the bridge forwards it.
  const cut = (inNode.find(({ h }) => h.kind === 'route') ?? inNode.at(-1))?.i ?? trace.hops.length - 1;
  const what = proto === 'icmp' ? 'icmp' : `${proto}/${trace.packet.port}`;
  const drop: Hop = {
    n: cut + 2,
    kind: 'drop',
    netns: node.netns,
    where: node.name,
    packet: trace.hops[cut]!.packet,
    summary: `dropped on ${node.name} by NetworkPolicy ${policies}: pod ${pod.name} is isolated for ${dir} and no rule allows ${peer} on ${what}`,
    entry: `nft list chain ip netlab-policy ${dir}-${pod.name}`,
  };
  return { ...trace, hops: [...trace.hops.slice(0, cut + 1), drop], arrived: false };
}

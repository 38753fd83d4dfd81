import { CALICO_POD_GATEWAY } from '../lab/defaults.js';
import { containsAddress, parseCidr } from '../lab/cidr.js';
import { describeNetns } from '../lab/names.js';
import { podRangesOf } from '../lab/node-pods.js';
import type { CalicoBackend, Lab, Node } from '../lab/types.js';
import { bgpSessions } from '../plan/bird.js';
import type { Hop, Observer, Trace } from './types.js';

/**
 * Says what Calico's control plane has to do with the path: the gateway no
 * device holds (proxy ARP answers for it), which BGP session taught a node
 * each route it used, and, when a node had no route for a pod, the session
 * that should have carried it and how that session stands.
 */
export async function withBgpExplanation(lab: Lab, trace: Trace, o: Observer): Promise<Trace> {
  const backend = lab.network.backend;
  if (backend.kind !== 'calico') return trace;
  const nodes = new Map(lab.nodes.map((n) => [n.netns, n]));
  const hops: Hop[] = [];
  for (const hop of trace.hops) {
    const node = nodes.get(hop.netns);
    if (hop.kind === 'route' && hop.summary.includes(`via ${CALICO_POD_GATEWAY} `)) {
      hops.push({ ...hop, summary: `${hop.summary}; no device holds ${CALICO_POD_GATEWAY}: the node's cali veth answers ARP for it (proxy_arp)` });
    } else if (node && hop.kind === 'route' && hop.entry?.includes('proto bird')) {
      const owner = ownerOf(lab, hop.entry.split(' ')[0]!.split('/')[0]!);
      const session = owner ? carrier(lab, backend, node, owner) : undefined;
      const learned = owner && session ? `; the route is ${owner.name}'s block, learned over BGP session ${session.name}` : '; the route was learned over BGP';
      hops.push({ ...hop, summary: hop.summary + learned });
    } else if (node && hop.kind === 'drop' && backend.encapsulation.kind !== 'vxlan') {
      hops.push({ ...hop, summary: hop.summary + (await missingRoute(lab, backend, node, hop.packet.dst, o)) });
    } else {
      hops.push(hop);
    }
  }
  return { ...trace, hops };
}

/** The node whose block holds an address. */
function ownerOf(lab: Lab, ip: string): Node | undefined {
  return lab.nodes.find((n) => podRangesOf(n).some((b) => containsAddress(parseCidr(b), ip)));
}

/** The session of `node` that brings it `owner`'s routes: straight from the owner in a mesh, else through the reflector. */
function carrier(lab: Lab, backend: CalicoBackend, node: Node, owner: Node): { name: string; peerNode: string } | undefined {
  const sessions = bgpSessions(lab, backend, node);
  return sessions.find((s) => s.peerNode === owner.name) ?? sessions.find((s) => s.peerNode === backend.routeReflector);
}

/** Why a node had no route for a pod address: its own pod's /32 (felix's), or a block whose BGP session is not up. */
async function missingRoute(lab: Lab, backend: CalicoBackend, node: Node, dst: string, o: Observer): Promise<string> {
  const owner = ownerOf(lab, dst);
  if (!owner) return '';
  if (owner.name === node.name) return `; ${dst} is in this node's own block: its pod's /32 route to a cali veth (felix's) is missing`;
  const block = podRangesOf(owner).find((b) => containsAddress(parseCidr(b), dst))!;
  const session = carrier(lab, backend, node, owner);
  if (!session) return `; ${dst} is in ${block}, node ${owner.name}'s block, and node ${node.name} has no BGP session that could carry it`;
  const live = await o.bgpSessions?.(node.name);
  const reported = live?.find((s) => s.name === session.name);
  const state = live === undefined ? 'unknown (BIRD does not answer: is it running?)' : (reported?.state ?? 'unknown to BIRD');
  const up = reported?.established;
  const verdict = up
    ? `is Established, yet the route is not in the kernel: ask \`netlab bgp ${lab.name} ${session.peerNode} show route\``
    : `is ${state}: \`netlab bgp ${lab.name} ${node.name} show protocols\`; \`netlab up\` brings it back`;
  return `; ${dst} is in ${block}, node ${owner.name}'s block, which ${describeNetns(node.netns).name} learns over BGP session ${session.name} (with ${session.peerNode}): that session ${verdict}`;
}

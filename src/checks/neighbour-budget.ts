import type { Lab } from '../lab/types.js';

/**
 * Every namespace shares the kernel's one neighbour (ARP) table, whose size
 * net.ipv4.neigh.default.gc_thresh3 exists only in the host's namespace
 * (netlab never changes it). A real node has a table of its own; in a lab,
 * all "nodes" and pods fill one. Past the limit the kernel drops new entries
 * ("neighbor table overflow") and packets stop.
 *
 * The dynamic entries a full conformance mesh makes at once: each pod learns
 * its same-node peers and its gateway; each peer it ARPs learns it back;
 * each node learns its pods on cni0 and the other nodes on eth0. Pure.
 */
export function meshNeighbourEstimate(lab: Lab): number {
  const perNode = new Map<string, number>();
  for (const p of lab.pods) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
  let entries = 0;
  for (const k of perNode.values()) entries += k * (k - 1) + 2 * k;
  return entries + lab.nodes.length * (lab.nodes.length - 1);
}

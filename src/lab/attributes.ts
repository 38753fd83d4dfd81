import { nodeAddressTowardPods, podRangesOf } from './node-pods.js';
import type { Node, Pod } from './types.js';

/**
 * What a `${NAME.ATTRIBUTE}` reference in a capture filter or match may use,
 * and how each is read from the resolved lab: the rules check names against
 * these keys, the checks expand them with these functions.
 */
export const POD_ATTRIBUTES = {
  ip: (p: Pod) => p.ip,
  mac: (p: Pod) => p.mac,
  name: (p: Pod) => p.name,
  node: (p: Pod) => p.node,
  hostVeth: (p: Pod) => p.hostVeth,
  gateway: (p: Pod) => p.gateway,
} as const;

export const NODE_ATTRIBUTES = {
  address: (n: Node) => n.address,
  mac: (n: Node) => n.mac,
  name: (n: Node) => n.name,
  /** With Calico, the node's first block. */
  podSubnet: (n: Node) => podRangesOf(n)[0] ?? '',
  /** With Calico, eth0's address (the node has none in the pod network). */
  gateway: (n: Node) => nodeAddressTowardPods(n),
} as const;

/** The attribute names of each kind of object, for messages and validation. */
export const REFERENCE_ATTRIBUTES = {
  pod: Object.keys(POD_ATTRIBUTES),
  node: Object.keys(NODE_ATTRIBUTES),
} as const;

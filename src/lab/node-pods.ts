import type { BridgeNode, Lab, Node } from './types.js';

/** The pod address ranges a node owns: its subnet (flannel), or the blocks it took (Calico). */
export function podRangesOf(node: Node): string[] {
  return node.kind === 'bridge' ? [node.podSubnet] : node.blocks;
}

/**
 * The address a node's own packets to its pods leave from: cni0's (flannel);
 * eth0's with Calico, which gives a node no address in the pod network.
 */
export function nodeAddressTowardPods(node: Node): string {
  return node.kind === 'bridge' ? node.gateway : node.address;
}

/** A flannel lab's nodes, each with its bridge and subnet. Calico's nodes have neither: asking is a bug. */
export function bridgeNodes(lab: Pick<Lab, 'nodes'>): BridgeNode[] {
  return lab.nodes.map((node) => {
    if (node.kind !== 'bridge') throw new Error(`node ${node.name} has no bridge: it is a Calico node`);
    return node;
  });
}

import { intToAddress, nthSubnet, parseCidr, type Cidr } from './cidr.js';
import { problem, type RuleProblem } from './rules/problem.js';
import type { PodInstance } from './settings.js';

/** What Calico IPAM hands out: each pod's address and each node's blocks (and tunnel address). */
export interface CalicoAllocation {
  ips: string[];
  /** Per node, the blocks it took, in the order it took them. */
  blocks: Cidr[][];
  /** Per node, the tunnel device's address (vxlan, ipip): the first address calico-node takes. */
  tunnels: Array<string | undefined>;
}

interface NodeIpam {
  blocks: Cidr[];
  /** The next free ordinal of the node's newest block. */
  next: bigint;
}

/**
 * Calico IPAM (libcalico-go ipam): a node claims a block of `blockSize` from
 * the pool when it needs an address and its own blocks are full, and hands
 * out the block's addresses in order, from its first (a /32 per pod needs no
 * network or broadcast address). calico-node takes the tunnel address before
 * any pod. Blocks are claimed lowest first, so the same lab always gets the
 * same addresses.
 */
export function allocateCalico(
  pods: PodInstance[],
  nodeOf: number[],
  nodeCount: number,
  podCIDR: string,
  blockSize: number,
  tunnels: boolean,
  problems: RuleProblem[],
): CalicoAllocation {
  const pool = parseCidr(podCIDR);
  const nodes: NodeIpam[] = Array.from({ length: nodeCount }, () => ({ blocks: [], next: 0n }));
  const perBlock = 1n << BigInt(32 - blockSize);
  let claimed = 0;
  const take = (node: NodeIpam): string | undefined => {
    let block = node.blocks[node.blocks.length - 1];
    if (!block || node.next === perBlock) {
      block = nthSubnet(pool, blockSize, claimed);
      if (!block) return undefined;
      claimed++;
      node.blocks.push(block);
      node.next = 0n;
    }
    return intToAddress(block.first + node.next++);
  };
  const exhausted = (path: RuleProblem['path']) =>
    problem(path, `podCIDR ${pool.text} has no free /${blockSize} block left`, 'widen network.podCIDR, or use a longer network.calico.blockSize');
  const tunnelOf = nodes.map((node, i) => {
    if (!tunnels) return undefined;
    const address = take(node);
    if (address === undefined) problems.push(exhausted(['nodes', i]));
    return address;
  });
  const reported = new Set<number>();
  const ips = pods.map((pod, i) => {
    const address = take(nodes[nodeOf[i]!]!);
    if (address !== undefined) return address;
    if (!reported.has(pod.index)) problems.push(exhausted(['pods', pod.index]));
    reported.add(pod.index);
    return '0.0.0.0';
  });
  return { ips, blocks: nodes.map((n) => n.blocks), tunnels: tunnelOf };
}

import { addressToInt, containsAddress, intToAddress, type Cidr } from './cidr.js';
import { problem, type RuleProblem } from './rules/problem.js';
import { BRIDGE_MAX_PORTS } from './limits.js';
import type { PodInstance } from './settings.js';

/** Where a pod runs and the address it holds. */
export interface Placement {
  node: number;
  ip: string;
}

interface NodeSlot {
  name: string;
  subnet: Cidr;
  /** Addresses in use, as integers: network, gateway and broadcast from the start. */
  taken: Map<bigint, string>;
  /** The lowest address that may still be free; allocation only moves it up (linear in pods). */
  cursor: bigint;
}

/**
 * Places pods round-robin over the nodes (unless pinned by `node` or `ip`) and
 * gives them addresses like host-local IPAM: the gateway is .1, the first pod .2.
 */
/** Offset into a block; negative counts back from the broadcast address. */
function nthAddressOf(block: Cidr, offset: number): string {
  return intToAddress(offset >= 0 ? block.first + BigInt(offset) : block.last + BigInt(offset));
}

/**
 * The node each pod runs on: the one it names, else the one whose subnet
 * holds its fixed address, else the next in round-robin order.
 */
export function assignNodes(pods: PodInstance[], names: string[], nodeOfIp: (ip: string) => number = () => -1): number[] {
  let roundRobin = 0;
  return pods.map((pod) => {
    if (pod.raw.node !== undefined) return Math.max(0, names.indexOf(pod.raw.node));
    if (pod.raw.ip !== undefined) {
      const found = nodeOfIp(pod.raw.ip);
      if (found >= 0) return found;
    }
    return roundRobin++ % names.length;
  });
}

export function placePods(pods: PodInstance[], nodes: Array<{ name: string; subnet: Cidr }>, problems: RuleProblem[]): Placement[] {
  const slots: NodeSlot[] = nodes.map((n) => ({
    name: n.name,
    subnet: n.subnet,
    taken: new Map([
      [n.subnet.first, 'network address'],
      [n.subnet.first + 1n, 'gateway (cni0)'],
      [n.subnet.last, 'broadcast address'],
    ]),
    cursor: n.subnet.first + 2n,
  }));
  const nodeOf = assignNodes(
    pods,
    nodes.map((n) => n.name),
    (ip) => slots.findIndex((s) => containsAddress(s.subnet, ip)),
  );

  // Fixed addresses first, so allocation flows around them.
  pods.forEach((pod, i) => {
    if (pod.raw.ip === undefined) return;
    const slot = slots[nodeOf[i]!]!;
    const path = ['pods', pod.index, 'ip'];
    const ip = pod.raw.ip;
    if (!containsAddress(slot.subnet, ip)) {
      const hint =
        pod.raw.node === undefined
          ? `node subnets: ${slots.map((s) => `${s.name} ${s.subnet.text}`).join(', ')}`
          : `node "${slot.name}" has ${slot.subnet.text}`;
      problems.push(
        problem(path, `${ip} is outside ${pod.raw.node === undefined ? "every node's pod subnet" : `the pod subnet of node "${slot.name}"`}`, hint),
      );
      return;
    }
    const n = addressToInt(ip);
    const holder = slot.taken.get(n);
    if (holder) {
      const usable = `${nthAddressOf(slot.subnet, 2)} to ${nthAddressOf(slot.subnet, -1)}`;
      const message = holder.startsWith('pod ')
        ? `${ip} is already the ip of ${holder}`
        : `${ip} is the ${holder} of node "${slot.name}"'s subnet ${slot.subnet.text}`;
      problems.push(problem(path, message, `pods get ${usable}`));
      return;
    }
    slot.taken.set(n, `pod "${pod.name}"`);
  });

  checkBridgePorts(pods, nodeOf, slots, problems);
  const full = new Set<number>();
  return pods.map((pod, i) => {
    const index = nodeOf[i]!;
    const slot = slots[index]!;
    if (pod.raw.ip !== undefined) return { node: index, ip: pod.raw.ip };
    while (slot.taken.has(slot.cursor)) slot.cursor++;
    if (slot.cursor >= slot.subnet.last) {
      if (!full.has(pod.index)) {
        full.add(pod.index);
        const capacity = slot.subnet.last - slot.subnet.first - 2n;
        problems.push(
          problem(
            ['pods', pod.index],
            `node "${slot.name}" is full: its subnet ${slot.subnet.text} holds ${capacity} pods`,
            'add nodes, or use a shorter network.nodeSubnetSize',
          ),
        );
      }
      return { node: index, ip: '0.0.0.0' };
    }
    slot.taken.set(slot.cursor, `pod "${pod.name}"`);
    return { node: index, ip: intToAddress(slot.cursor++) };
  });
}

/**
 * Every pod is a port of its node's cni0, and a Linux bridge numbers its
 * ports 1 to BRIDGE_MAX_PORTS - 1 (port 0 is never used): one pod more and the
 * kernel answers "Exchange full" half-way through `up`.
 */
function checkBridgePorts(pods: PodInstance[], nodeOf: number[], slots: NodeSlot[], problems: RuleProblem[]): void {
  const most = BRIDGE_MAX_PORTS - 1;
  const count = new Array<number>(slots.length).fill(0);
  const reported = new Set<number>();
  pods.forEach((pod, i) => {
    const node = nodeOf[i]!;
    count[node]!++;
    if (count[node] === most + 1 && !reported.has(node)) {
      reported.add(node);
      problems.push(
        problem(
          ['pods', pod.index],
          `node "${slots[node]!.name}" gets more than ${most} pods`,
          `its bridge cni0 holds at most ${most} ports; add nodes or pin fewer pods to it`,
        ),
      );
    }
  });
}

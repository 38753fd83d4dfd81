import { addressToInt, containsAddress, intToAddress, nthSubnet, overlaps, parseCidr, type Cidr } from './cidr.js';
import type { RawNode } from './raw.js';
import { problem, type RuleProblem } from './rules/problem.js';

/** Node subnets: the file's own first, then the lowest free blocks of podCIDR in node order. */
export function allocateNodeSubnets(nodes: RawNode[], podCIDR: string, prefix: number, problems: RuleProblem[]): Cidr[] {
  const pool = parseCidr(podCIDR);
  const taken: Cidr[] = [];
  const result: Array<Cidr | undefined> = nodes.map((node) => {
    if (!node.podSubnet) return undefined;
    // Overlaps between the file's own subnets are the network rule's to report.
    const subnet = parseCidr(node.podSubnet);
    taken.push(subnet);
    return subnet;
  });
  let cursor = 0;
  return nodes.map((node, i) => {
    const fixed = result[i];
    if (fixed) return fixed;
    for (;;) {
      const candidate = nthSubnet(pool, prefix, cursor++);
      if (!candidate) {
        problems.push(
          problem(['nodes', i], `no free /${prefix} left in podCIDR ${pool.text} for node "${node.name}"`, 'widen podCIDR or use a longer nodeSubnetSize'),
        );
        return parseCidr(`0.0.0.0/${prefix}`);
      }
      if (!taken.some((t) => overlaps(t, candidate))) {
        taken.push(candidate);
        return candidate;
      }
    }
  });
}

/** Node addresses on the underlay: the file's own first, then the lowest free host addresses. */
export function allocateNodeAddresses(nodes: RawNode[], underlayCIDR: string, problems: RuleProblem[]): string[] {
  const block = parseCidr(underlayCIDR);
  const taken = new Map<bigint, string>();
  nodes.forEach((node, i) => {
    if (!node.address) return;
    const path = ['nodes', i, 'address'];
    const n = addressToInt(node.address);
    if (!containsAddress(block, node.address)) {
      problems.push(problem(path, `${node.address} is outside the underlay ${block.text}`, `pick a host address of ${block.text}`));
    } else if (n === block.first || n === block.last) {
      problems.push(problem(path, `${node.address} is the ${n === block.first ? 'network' : 'broadcast'} address of ${block.text}`, 'pick a host address'));
    } else if (taken.has(n)) {
      problems.push(problem(path, `${node.address} is already the address of node "${taken.get(n)}"`));
    }
    taken.set(n, node.name);
  });
  let next = block.first + 1n;
  return nodes.map((node, i) => {
    if (node.address) return node.address;
    while (taken.has(next)) next++;
    if (next >= block.last) {
      problems.push(problem(['nodes', i], `no free address left in the underlay ${block.text} for node "${node.name}"`, 'widen network.underlay.cidr'));
      return '0.0.0.0';
    }
    taken.set(next, node.name);
    return intToAddress(next++);
  });
}

import { bridgeNodes } from '../lab/node-pods.js';
import type { Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';

/**
 * flannel's host-gw backend (pkg/backend/hostgw): for every other node, a
 * route to its pod subnet via its underlay address. Works only when all
 * nodes share one L2 segment, which the fabric bridge gives them.
 */
export function planHostGw(lab: Lab): Contribution[] {
  const nodes = bridgeNodes(lab);
  return nodes.map((node) => ({
    routes: nodes
      .filter((remote) => remote.name !== node.name)
      .map((remote) => ({
        kind: 'route.add' as const,
        netns: node.netns,
        verb: 'add' as const,
        dst: remote.podSubnet,
        via: remote.address,
        dev: 'eth0',
      })),
  }));
}

import type { Lab } from '../../lab/types.js';
import type { Contribution } from '../contribution.js';
import { nftablesRuleset } from './nftables.js';

/**
 * kube-proxy on every node: its rules for the lab's Services, one table
 * loaded atomically per node. A lab without Services gets no table, as a
 * node whose kube-proxy has nothing to proxy has only the base. iptables mode
 * is not built yet (the lab rules refuse it); ipvs needs a kernel with IP_VS.
 */
export function planKubeProxy(lab: Lab): Contribution[] {
  if (!lab.services.some((s) => s.clusterIP !== undefined)) return [];
  return lab.nodes.map((node) => ({
    // A real node routes the service CIDR by its default route; a lab node has
    // none, and without a route a packet to a ClusterIP with no endpoints (or
    // none allocated) dies in routing with "network unreachable" before
    // kube-proxy's filter chains can reject or drop it as Kubernetes says.
    routes: [{ kind: 'route.add' as const, netns: node.netns, verb: 'add' as const, dst: lab.network.serviceCIDR, dev: 'eth0' }],
    services: [{ kind: 'nft.load' as const, netns: node.netns, table: 'ip kube-proxy', ruleset: nftablesRuleset(lab, node) }],
  }));
}

import type { Lab } from '../../lab/types.js';
import type { Contribution } from '../contribution.js';
import { iptablesRuleset } from './iptables.js';
import { nftablesRuleset } from './nftables.js';

/**
 * kube-proxy on every node: its rules for the lab's Services, one table
 * loaded atomically per node, in nftables mode (`nft -f`) or iptables mode
 * (`iptables-restore`). A lab without Services gets no rules. ipvs needs a
 * kernel with IP_VS and is not built.
 */
export function planKubeProxy(lab: Lab): Contribution[] {
  if (!lab.services.some((s) => s.clusterIP !== undefined)) return [];
  return lab.nodes.map((node) => ({
    // A real node routes the service CIDR by its default route; a lab node has
    // none, and without a route a packet to a ClusterIP with no endpoints (or
    // none allocated) dies in routing with "network unreachable" before
    // kube-proxy's filter chains can reject or drop it as Kubernetes says.
    routes: [{ kind: 'route.add' as const, netns: node.netns, verb: 'add' as const, dst: lab.network.serviceCIDR, dev: 'eth0' }],
    // iptables mode serves NodePorts on 127.0.0.1 too (--iptables-localhost-nodeports, default true): kube-proxy sets
    // route_localnet so a packet from 127.0.0.1 may be DNATed to a pod; KUBE-FIREWALL keeps the network off 127/8.
    ...(lab.network.kubeProxy.mode === 'iptables'
      ? { sysctls: [{ kind: 'sysctl.set' as const, netns: node.netns, key: 'net.ipv4.conf.all.route_localnet', value: '1' }] }
      : {}),
    services: [
      lab.network.kubeProxy.mode === 'iptables'
        ? { kind: 'iptables.restore' as const, netns: node.netns, ruleset: iptablesRuleset(lab, node) }
        : { kind: 'nft.load' as const, netns: node.netns, table: 'ip kube-proxy', ruleset: nftablesRuleset(lab, node) },
    ],
  }));
}

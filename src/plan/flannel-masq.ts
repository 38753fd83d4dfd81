import { bridgeNodes } from '../lab/node-pods.js';
import type { BridgeNode, Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';

const T = 'ip flannel-ipv4';

/**
 * flanneld's --ip-masq in nftables mode (pkg/trafficmngr/nftables, the rules
 * flannel's e2e golden test pins): pods reaching anything outside the pod
 * network leave with their node's address, pod-to-pod traffic never does,
 * and a packet kube-proxy marked for masquerade is left to kube-proxy. Only
 * labs with somewhere outside to reach (the `external` client) get it, so
 * the plain pod-network labs stay exactly as they were.
 */
export function planFlannelMasq(lab: Lab): Contribution[] {
  // Calico masquerades by its IP pool's natOutgoing, not flannel's table.
  if (!lab.external || lab.network.backend.kind === 'calico') return [];
  return bridgeNodes(lab).map((node) => ({ services: [{ kind: 'nft.load' as const, netns: node.netns, table: T, ruleset: flannelMasqRuleset(lab, node) }] }));
}

export function flannelMasqRuleset(lab: Lab, node: BridgeNode): string {
  const cluster = lab.network.podCIDR;
  const own = node.podSubnet;
  const chain = `add rule ${T} postrtg`;
  return [
    "# Replaces flannel's table in one transaction (add first, so the delete never fails).",
    `add table ${T}`,
    `delete table ${T}`,
    `add table ${T} { comment "rules for flannel-ipv4" ; }`,
    `add chain ${T} postrtg { type nat hook postrouting priority srcnat ; comment "chain to manage traffic masquerading by flannel" ; }`,
    `${chain} meta mark 0x00004000 return`,
    `${chain} ip saddr ${own} ip daddr ${cluster} return`,
    `${chain} ip saddr ${cluster} ip daddr ${own} return`,
    `${chain} ip saddr != ${own} ip daddr ${cluster} return`,
    `${chain} ip saddr ${cluster} ip daddr != 224.0.0.0/4 masquerade fully-random`,
    `${chain} ip saddr != ${cluster} ip daddr ${cluster} masquerade fully-random`,
    '',
  ].join('\n');
}

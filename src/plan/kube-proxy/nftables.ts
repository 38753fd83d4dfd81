import type { Endpoint, Lab, Node, Service, ServicePort } from '../../lab/types.js';
import { AFFINITY_TIMEOUT_SECONDS, nodeEndpoints } from './endpoints.js';
import { nftChain, nftEndpointBase, nftServicePortName } from './names.js';

/** kube-proxy's --masquerade-bit default (14): the packet mark that asks for SNAT on the way out. */
export const MASQUERADE_MARK = '0x4000';

const T = 'ip kube-proxy';

/**
 * The base of kube-proxy's nftables mode as upstream's own test pins it
 * (pkg/proxy/nftables/proxier_test.go baseRules, v1.31–v1.35 layout): the
 * table, its sets and verdict maps, hooked chains and the dispatch rules.
 */
function baseRules(lab: Lab, node: Node): string[] {
  return [
    `add table ${T} { comment "rules for kube-proxy" ; }`,
    '',
    `add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    '',
    `add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
    `add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    '',
    `add chain ${T} cluster-ips-check`,
    `add chain ${T} filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`,
    `add chain ${T} filter-output-pre-dnat { type filter hook output priority -110 ; }`,
    `add chain ${T} filter-forward { type filter hook forward priority 0 ; }`,
    `add chain ${T} filter-input { type filter hook input priority 0 ; }`,
    `add chain ${T} filter-output { type filter hook output priority 0 ; }`,
    `add chain ${T} firewall-check`,
    `add chain ${T} mark-for-masquerade`,
    `add chain ${T} masquerading`,
    `add chain ${T} nat-output { type nat hook output priority -100 ; }`,
    `add chain ${T} nat-postrouting { type nat hook postrouting priority 100 ; }`,
    `add chain ${T} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${T} nodeport-endpoints-check`,
    `add chain ${T} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    `add chain ${T} services`,
    `add chain ${T} service-endpoints-check`,
    '',
    `add rule ${T} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`,
    `add rule ${T} cluster-ips-check ip daddr { ${lab.network.serviceCIDR} } drop comment "Drop traffic to unallocated ClusterIPs"`,
    `add rule ${T} filter-prerouting-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} filter-forward ct state new jump service-endpoints-check`,
    `add rule ${T} filter-forward ct state new jump cluster-ips-check`,
    `add rule ${T} filter-input ct state new jump nodeport-endpoints-check`,
    `add rule ${T} filter-input ct state new jump service-endpoints-check`,
    `add rule ${T} filter-output ct state new jump service-endpoints-check`,
    `add rule ${T} filter-output-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} filter-output ct state new jump cluster-ips-check`,
    `add rule ${T} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`,
    `add rule ${T} mark-for-masquerade mark set mark or ${MASQUERADE_MARK}`,
    `add rule ${T} masquerading mark and ${MASQUERADE_MARK} == 0 return`,
    `add rule ${T} masquerading mark set mark xor ${MASQUERADE_MARK}`,
    `add rule ${T} masquerading masquerade fully-random`,
    `add rule ${T} nat-output jump services`,
    `add rule ${T} nat-postrouting jump masquerading`,
    `add rule ${T} nat-prerouting jump services`,
    `add rule ${T} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`,
    `add rule ${T} reject-chain reject`,
    `add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${T} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
    '',
    `add element ${T} nodeport-ips { ${node.address} }`,
    `add rule ${T} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
  ];
}

/**
 * What kube-proxy in nftables mode loads on one node, as one `nft -f`
 * transaction: the base, then each service port as upstream writes it
 * (pkg/proxy/nftables/proxier.go), with chain names hashed the same way.
 * The table is replaced whole, so loading it again (a repair, a change)
 * converges instead of adding twice.
 */
export function nftablesRuleset(lab: Lab, node: Node): string {
  const lines = [
    "# Replaces kube-proxy's table in one transaction (add first, so the delete never fails).",
    `add table ${T}`,
    `delete table ${T}`,
    ...baseRules(lab, node),
  ];
  for (const svc of lab.services) {
    if (svc.clusterIP === undefined) continue; // headless: kube-proxy leaves it to DNS
    lines.push('', `# ${svc.ref}`);
    for (const port of svc.ports) lines.push(...servicePortRules(lab, node, svc, port, svc.clusterIP));
  }
  return `${lines.join('\n')}\n`;
}

function servicePortRules(lab: Lab, node: Node, svc: Service, port: ServicePort, clusterIP: string): string[] {
  const base = nftServicePortName(svc, port);
  const comment = `"${svc.namespace}/${svc.name}:${port.name}"`;
  const element = `${clusterIP} . ${port.protocol} . ${port.port}`;
  const { local, cluster: clusterEndpoints, used } = nodeEndpoints(svc, port, node);
  const out: string[] = [];
  const serviceChain = nftChain('service', base);
  const externalChain = nftChain('external', base);
  const localChain = nftChain('local', base);
  const endpointChain = (e: Endpoint) => nftChain('endpoint', nftEndpointBase(svc, port, e.ip, e.port));
  const affinitySet = (e: Endpoint) => nftChain('affinity', nftEndpointBase(svc, port, e.ip, e.port));
  const affinity = svc.sessionAffinity === 'ClientIP';

  out.push(`add element ${T} cluster-ips { ${clusterIP} }`);
  if (clusterEndpoints.length === 0) {
    const verdict = port.endpoints.length === 0 ? 'goto reject-chain' : 'drop';
    out.push(`add element ${T} no-endpoint-services { ${element} comment ${comment} : ${verdict} }`);
  }
  if (used.length === 0 && port.nodePort === undefined) return out;

  // Endpoint chains first: a vmap can only name chains that exist.
  for (const e of used) {
    if (affinity) out.push(`add set ${T} ${affinitySet(e)} { type ipv4_addr ; flags dynamic,timeout ; timeout ${AFFINITY_TIMEOUT_SECONDS}s ; }`);
    out.push(`add chain ${T} ${endpointChain(e)}`);
  }
  out.push(`add chain ${T} ${serviceChain}`);
  out.push(`add rule ${T} ${serviceChain} ip daddr ${clusterIP} ip saddr != ${lab.network.podCIDR} jump mark-for-masquerade`);
  out.push(...dispatch(serviceChain, clusterEndpoints, endpointChain, affinity ? affinitySet : undefined));
  if (clusterEndpoints.length > 0) out.push(`add element ${T} service-ips { ${element} : goto ${serviceChain} }`);

  if (port.nodePort !== undefined) {
    const nodePortElement = `${port.protocol} . ${port.nodePort}`;
    out.push(`add chain ${T} ${externalChain}`);
    if (svc.externalTrafficPolicy === 'Local') {
      out.push(
        `add rule ${T} ${externalChain} ip saddr ${lab.network.podCIDR} goto ${serviceChain} comment "short-circuit pod traffic"`,
        `add rule ${T} ${externalChain} fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`,
        `add rule ${T} ${externalChain} fib saddr type local goto ${serviceChain} comment "short-circuit local traffic"`,
      );
      if (local.length > 0) {
        out.push(`add chain ${T} ${localChain}`, ...dispatch(localChain, local, endpointChain, affinity ? affinitySet : undefined));
        out.push(`add rule ${T} ${externalChain} goto ${localChain}`);
        out.push(`add element ${T} service-nodeports { ${nodePortElement} : goto ${externalChain} }`);
      } else {
        out.push(`add element ${T} no-endpoint-nodeports { ${nodePortElement} comment ${comment} : drop }`);
      }
    } else {
      out.push(`add rule ${T} ${externalChain} jump mark-for-masquerade`, `add rule ${T} ${externalChain} goto ${serviceChain}`);
      if (port.endpoints.length > 0) out.push(`add element ${T} service-nodeports { ${nodePortElement} : goto ${externalChain} }`);
      else out.push(`add element ${T} no-endpoint-nodeports { ${nodePortElement} comment ${comment} : goto reject-chain }`);
    }
  }

  for (const e of used) {
    const chain = endpointChain(e);
    out.push(`add rule ${T} ${chain} ip saddr ${e.ip} jump mark-for-masquerade`);
    if (affinity) out.push(`add rule ${T} ${chain} update @${affinitySet(e)} { ip saddr }`);
    out.push(`add rule ${T} ${chain} meta l4proto ${port.protocol} dnat to ${e.ip}:${e.port}`);
  }
  return out;
}

/** Affinity first (a client seen before goes where it went), then a random pick: `numgen random mod N`. */
function dispatch(chain: string, endpoints: Endpoint[], endpointChain: (e: Endpoint) => string, affinitySet: ((e: Endpoint) => string) | undefined): string[] {
  if (endpoints.length === 0) return [];
  const out: string[] = [];
  if (affinitySet) for (const e of endpoints) out.push(`add rule ${T} ${chain} ip saddr @${affinitySet(e)} goto ${endpointChain(e)}`);
  const map = endpoints.map((e, i) => `${i} : goto ${endpointChain(e)}`).join(' , ');
  out.push(`add rule ${T} ${chain} numgen random mod ${endpoints.length} vmap { ${map} }`);
  return out;
}

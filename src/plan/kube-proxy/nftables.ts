import type { Endpoint, Lab, Node, Service, ServicePort } from '../../lab/types.js';
import { AFFINITY_TIMEOUT_SECONDS, portPlan, type NoEndpointVerdict } from './endpoints.js';
import { nftChain, nftEndpointBase, nftServicePortName, servicePortName } from './names.js';
import { nftCommands, replacing, type NftCommand, type NftRuleset } from '../nft-ruleset.js';

/** kube-proxy's --masquerade-bit default (14): the packet mark that asks for SNAT on the way out. */
export const MASQUERADE_MARK = '0x4000';

const T = 'ip kube-proxy';
const nft = nftCommands;

/**
 * The base of kube-proxy's nftables mode as upstream's own test pins it
 * (pkg/proxy/nftables/proxier_test.go baseRules, v1.31–v1.35 layout): the
 * table, its sets and verdict maps, hooked chains and the dispatch rules.
 */
function baseRules(lab: Lab, node: Node): NftCommand[] {
  return [
    nft.addTable('comment "rules for kube-proxy"'),
    nft.note(),
    nft.set('cluster-ips', 'type ipv4_addr ; comment "Active ClusterIPs"'),
    nft.set('nodeport-ips', 'type ipv4_addr ; comment "IPs that accept NodePort traffic"'),
    nft.note(),
    nft.map('firewall-ips', 'type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges"'),
    nft.map(
      'no-endpoint-nodeports',
      'type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints"',
    ),
    nft.map(
      'no-endpoint-services',
      'type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints"',
    ),
    nft.map('service-ips', 'type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"'),
    nft.map('service-nodeports', 'type inet_proto . inet_service : verdict ; comment "NodePort traffic"'),
    nft.note(),
    nft.chain('cluster-ips-check'),
    nft.chain('filter-prerouting-pre-dnat', 'type filter hook prerouting priority -110'),
    nft.chain('filter-output-pre-dnat', 'type filter hook output priority -110'),
    nft.chain('filter-forward', 'type filter hook forward priority 0'),
    nft.chain('filter-input', 'type filter hook input priority 0'),
    nft.chain('filter-output', 'type filter hook output priority 0'),
    nft.chain('firewall-check'),
    nft.chain('mark-for-masquerade'),
    nft.chain('masquerading'),
    nft.chain('nat-output', 'type nat hook output priority -100'),
    nft.chain('nat-postrouting', 'type nat hook postrouting priority 100'),
    nft.chain('nat-prerouting', 'type nat hook prerouting priority -100'),
    nft.chain('nodeport-endpoints-check'),
    nft.chain('reject-chain', 'comment "helper for @no-endpoint-services / @no-endpoint-nodeports"'),
    nft.chain('services'),
    nft.chain('service-endpoints-check'),
    nft.note(),
    nft.rule('cluster-ips-check', 'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"'),
    nft.rule('cluster-ips-check', `ip daddr { ${lab.network.serviceCIDR} } drop comment "Drop traffic to unallocated ClusterIPs"`),
    nft.rule('filter-prerouting-pre-dnat', 'ct state new jump firewall-check'),
    nft.rule('filter-forward', 'ct state new jump service-endpoints-check'),
    nft.rule('filter-forward', 'ct state new jump cluster-ips-check'),
    nft.rule('filter-input', 'ct state new jump nodeport-endpoints-check'),
    nft.rule('filter-input', 'ct state new jump service-endpoints-check'),
    nft.rule('filter-output', 'ct state new jump service-endpoints-check'),
    nft.rule('filter-output-pre-dnat', 'ct state new jump firewall-check'),
    nft.rule('filter-output', 'ct state new jump cluster-ips-check'),
    nft.rule('firewall-check', 'ip daddr . meta l4proto . th dport vmap @firewall-ips'),
    nft.rule('mark-for-masquerade', `mark set mark or ${MASQUERADE_MARK}`),
    nft.rule('masquerading', `mark and ${MASQUERADE_MARK} == 0 return`),
    nft.rule('masquerading', `mark set mark xor ${MASQUERADE_MARK}`),
    nft.rule('masquerading', 'masquerade fully-random'),
    nft.rule('nat-output', 'jump services'),
    nft.rule('nat-postrouting', 'jump masquerading'),
    nft.rule('nat-prerouting', 'jump services'),
    nft.rule('nodeport-endpoints-check', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports'),
    nft.rule('reject-chain', 'reject'),
    nft.rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips'),
    nft.rule('services', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports'),
    nft.note(),
    nft.element('nodeport-ips', `${node.address}`),
    nft.rule('service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services'),
  ];
}

/**
 * What kube-proxy in nftables mode loads on one node, as one `nft -f`
 * transaction: the base, then each service port as upstream writes it
 * (pkg/proxy/nftables/proxier.go), with chain names hashed the same way.
 * The table is replaced whole, so loading it again (a repair, a change)
 * converges instead of adding twice.
 */
export function nftablesRuleset(lab: Lab, node: Node): NftRuleset {
  const commands = baseRules(lab, node);
  for (const svc of lab.services) {
    if (svc.clusterIP === undefined) continue; // headless: kube-proxy leaves it to DNS
    commands.push(nft.note(), nft.note(svc.ref));
    for (const port of svc.ports) commands.push(...servicePortRules(lab, node, svc, port, svc.clusterIP));
  }
  return replacing(T, commands, "Replaces kube-proxy's table in one transaction (add first, so the delete never fails).");
}

/**
 * One service port, in upstream's order (syncProxyRules): the chains it
 * uses, the map elements that dispatch to them or refuse, the masquerade
 * rules, the external chain's short-circuits, the policy chains' dispatch
 * and the endpoint chains. Which chains exist is portPlan's choice.
 */
function servicePortRules(lab: Lab, node: Node, svc: Service, port: ServicePort, clusterIP: string): NftCommand[] {
  const base = nftServicePortName(svc, port);
  const comment = `"${servicePortName(svc, port)}"`;
  const element = `${clusterIP} . ${port.protocol} . ${port.port}`;
  const p = portPlan(svc, port, node);
  const out: NftCommand[] = [];
  const clusterChain = nftChain('service', base);
  const localChain = nftChain('local', base);
  const externalChain = nftChain('external', base);
  const firewallChain = nftChain('firewall', base);
  const policyChain = (policy: 'cluster' | 'local') => (policy === 'cluster' ? clusterChain : localChain);
  const endpointChain = (e: Endpoint) => nftChain('endpoint', nftEndpointBase(svc, port, e.ip, e.port));
  const affinitySet = (e: Endpoint) => nftChain('affinity', nftEndpointBase(svc, port, e.ip, e.port));
  const affinity = svc.sessionAffinity === 'ClientIP';
  const verdict = (v: NoEndpointVerdict) => (v === 'reject' ? 'goto reject-chain' : 'drop');

  // Chains first: a vmap can only name chains that exist.
  for (const e of p.reachable) out.push(nft.chain(endpointChain(e)));
  if (p.clusterChain) out.push(nft.chain(clusterChain));
  if (p.localChain) out.push(nft.chain(localChain));
  if (p.external?.chain) out.push(nft.chain(externalChain));
  if (p.external?.firewall) out.push(nft.chain(firewallChain));

  out.push(nft.element('cluster-ips', `${clusterIP}`));
  if (p.internal.verdict) out.push(nft.element('no-endpoint-services', `${element} comment ${comment} : ${verdict(p.internal.verdict)}`));
  else out.push(nft.element('service-ips', `${element} : goto ${policyChain(p.internal.policy)}`));
  if (p.external) {
    const ext = p.external;
    const noEndpoints = (ip: string) =>
      nft.element('no-endpoint-services', `${ip} . ${port.protocol} . ${port.port} comment ${comment} : ${verdict(ext.verdict!)}`);
    const toExternal = (ip: string) => nft.element('service-ips', `${ip} . ${port.protocol} . ${port.port} : goto ${externalChain}`);
    for (const ip of ext.externalIPs) {
      if (ext.chain) out.push(toExternal(ip));
      if (ext.verdict) out.push(noEndpoints(ip));
    }
    for (const ip of ext.loadBalancerIPs) {
      if (ext.chain) out.push(toExternal(ip));
      // loadBalancerSourceRanges are checked before DNAT (firewall-check, priority -110), for new connections only.
      if (ext.firewall) out.push(nft.element('firewall-ips', `${ip} . ${port.protocol} . ${port.port} : goto ${firewallChain}`));
    }
    if (ext.verdict) for (const ip of ext.loadBalancerIPs) out.push(noEndpoints(ip));
    if (ext.nodePort !== undefined) {
      const nodePortElement = `${port.protocol} . ${ext.nodePort}`;
      // NodePorts are not subject to loadBalancerSourceRanges (upstream: "for better or for worse").
      if (ext.chain) out.push(nft.element('service-nodeports', `${nodePortElement} : goto ${externalChain}`));
      // Whatever the external chain did not short-circuit (a client off the node) is dropped or refused.
      if (ext.verdict) out.push(nft.element('no-endpoint-nodeports', `${nodePortElement} comment ${comment} : ${verdict(ext.verdict)}`));
    }
  }

  // Off-cluster sources reaching the ClusterIP are masqueraded: their answer must come back through this node.
  if (!p.internal.verdict) {
    out.push(nft.rule(policyChain(p.internal.policy), `ip daddr ${clusterIP} ip saddr != ${lab.network.podCIDR} jump mark-for-masquerade`));
  }
  if (p.external?.chain) {
    if (p.external.policy === 'cluster') out.push(nft.rule(externalChain, 'jump mark-for-masquerade'));
    else {
      out.push(
        nft.rule(externalChain, `ip saddr ${lab.network.podCIDR} goto ${clusterChain} comment "short-circuit pod traffic"`),
        nft.rule(externalChain, 'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"'),
        nft.rule(externalChain, `fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`),
      );
    }
    if (!p.external.verdict) out.push(nft.rule(externalChain, `goto ${policyChain(p.external.policy)}`));
  }
  if (p.external?.firewall) out.push(nft.rule(firewallChain, `ip saddr != { ${p.external.firewall.sources.join(' , ')} } drop`));

  if (affinity) {
    for (const e of p.reachable) out.push(nft.set(affinitySet(e), `type ipv4_addr ; flags dynamic,timeout ; timeout ${AFFINITY_TIMEOUT_SECONDS}s`));
  }
  if (p.clusterChain) out.push(...dispatch(clusterChain, p.cluster, endpointChain, affinity ? affinitySet : undefined));
  if (p.localChain) out.push(...dispatch(localChain, p.local, endpointChain, affinity ? affinitySet : undefined));

  for (const e of p.reachable) {
    const chain = endpointChain(e);
    out.push(nft.rule(chain, `ip saddr ${e.ip} jump mark-for-masquerade`));
    if (affinity) out.push(nft.rule(chain, `update @${affinitySet(e)} { ip saddr }`));
    out.push(nft.rule(chain, `meta l4proto ${port.protocol} dnat to ${e.ip}:${e.port}`));
  }
  return out;
}

/** Affinity first (a client seen before goes where it went), then a random pick: `numgen random mod N`. */
function dispatch(
  chain: string,
  endpoints: Endpoint[],
  endpointChain: (e: Endpoint) => string,
  affinitySet: ((e: Endpoint) => string) | undefined,
): NftCommand[] {
  if (endpoints.length === 0) return [];
  const out: NftCommand[] = [];
  if (affinitySet) for (const e of endpoints) out.push(nft.rule(`${chain}`, `ip saddr @${affinitySet(e)} goto ${endpointChain(e)}`));
  const map = endpoints.map((e, i) => `${i} : goto ${endpointChain(e)}`).join(' , ');
  out.push(nft.rule(`${chain}`, `numgen random mod ${endpoints.length} vmap { ${map} }`));
  return out;
}

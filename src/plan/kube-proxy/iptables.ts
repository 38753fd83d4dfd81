import type { Endpoint, Lab, Node, Service, ServicePort } from '../../lab/types.js';
import { AFFINITY_TIMEOUT_SECONDS, portPlan, type NoEndpointVerdict } from './endpoints.js';
import { iptEndpointChain, iptServiceChain, servicePortName } from './names.js';
import { MASQUERADE_MARK } from './nftables.js';
import { iptRule, type IptablesRule, type IptablesRuleset } from '../iptables-ruleset.js';

const MARK = `${MASQUERADE_MARK}/${MASQUERADE_MARK}`;

/**
 * What kube-proxy in iptables mode loads on one node, as one
 * `iptables-restore` of its filter and nat tables (pkg/proxy/iptables/proxier.go,
 * rule text as proxier_test.go TestOverallIPTablesRules pins it): the jump
 * rules of iptablesJumpChains, KUBE-SERVICES, KUBE-SVC-/KUBE-SEP- chains
 * hashed from the service port's name, `--probability` 1/(n-i) for
 * endpoint i of n (the last one takes what is left), KUBE-NODEPORTS with
 * KUBE-EXT-, KUBE-MARK-MASQ and KUBE-POSTROUTING. On Debian 12 `iptables`
 * is iptables-nft: the rules land in nftables tables `ip filter` and `ip nat`.
 */
export function iptablesRuleset(lab: Lab, node: Node): IptablesRuleset {
  const filterChains = [
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FIREWALL',
    'KUBE-FORWARD',
    'KUBE-NODEPORTS',
    'KUBE-PROXY-CANARY',
    'KUBE-PROXY-FIREWALL',
    'KUBE-SERVICES',
  ];
  const filter: IptablesRule[] = [
    // Localhost NodePorts (127.0.0.1:NODEPORT, on by default) need route_localnet, which would let the network reach
    // 127.0.0.0/8: kube-proxy blocks that first in INPUT and OUTPUT (iptablesKubeletJumpChains, kubeletFirewallChain).
    iptRule('INPUT', '-j KUBE-FIREWALL'),
    iptRule('OUTPUT', '-j KUBE-FIREWALL'),
    iptRule(
      'KUBE-FIREWALL',
      '-m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    ),
    iptRule('INPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'),
    iptRule('INPUT', '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS'),
    iptRule('INPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'),
    iptRule('FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'),
    iptRule('FORWARD', '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'),
    iptRule('FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    iptRule('FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'),
    iptRule('OUTPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'),
    iptRule('OUTPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    iptRule('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP'),
    iptRule('KUBE-FORWARD', `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${MARK} -j ACCEPT`),
    iptRule('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
  ];
  // KUBE-PROXY-CANARY: empty, as kube-proxy makes it in each table it uses, to notice someone flushing the table.
  const natChains = ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-PROXY-CANARY', 'KUBE-SERVICES'];
  const nat: IptablesRule[] = [
    iptRule('PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    iptRule('OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    iptRule('POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'),
    iptRule('KUBE-MARK-MASQ', `-j MARK --or-mark ${MASQUERADE_MARK}`),
    iptRule('KUBE-POSTROUTING', `-m mark ! --mark ${MARK} -j RETURN`),
    iptRule('KUBE-POSTROUTING', `-j MARK --xor-mark ${MASQUERADE_MARK}`),
    iptRule('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully'),
  ];
  for (const svc of lab.services) {
    if (svc.clusterIP === undefined) continue;
    for (const port of svc.ports) servicePortRules(lab, node, svc, port, svc.clusterIP, { filter, nat, natChains });
  }
  nat.push(
    iptRule(
      'KUBE-SERVICES',
      '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ),
  );
  return {
    tables: [
      { name: 'filter', builtins: ['INPUT', 'FORWARD', 'OUTPUT'], chains: [...new Set(filterChains)], rules: filter },
      { name: 'nat', builtins: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], chains: [...new Set(natChains)], rules: nat },
    ],
  };
}

interface Tables {
  filter: IptablesRule[];
  nat: IptablesRule[];
  natChains: string[];
}

/**
 * One service port, in upstream's order (pkg/proxy/iptables/proxier.go
 * syncProxyRules): the ClusterIP capture or its filter verdict, the NodePort
 * capture and its verdict for what the external chain does not
 * short-circuit, then the chains portPlan says exist.
 */
function servicePortRules(lab: Lab, node: Node, svc: Service, port: ServicePort, clusterIP: string, t: Tables): void {
  const name = servicePortName(svc, port);
  const match = `-m ${port.protocol} -p ${port.protocol}`;
  const clusterChain = iptServiceChain('KUBE-SVC-', svc, port);
  const localChain = iptServiceChain('KUBE-SVL-', svc, port);
  const extChain = iptServiceChain('KUBE-EXT-', svc, port);
  const fwChain = iptServiceChain('KUBE-FW-', svc, port);
  const policyChain = (policy: 'cluster' | 'local') => (policy === 'cluster' ? clusterChain : localChain);
  const p = portPlan(svc, port, node);
  const filterVerdict = (v: NoEndpointVerdict) =>
    v === 'reject' ? { comment: `"${name} has no endpoints"`, target: 'REJECT' } : { comment: `"${name} has no local endpoints"`, target: 'DROP' };

  if (p.clusterChain) t.natChains.push(clusterChain);
  if (p.localChain) t.natChains.push(localChain);
  if (p.external?.chain) t.natChains.push(extChain);
  // iptables mode needs endpoints for the firewall chain too: with none, the REJECT in KUBE-EXTERNAL-SERVICES answers first.
  const firewall = p.external?.chain ? p.external.firewall : undefined;
  if (firewall) t.natChains.push(fwChain);
  for (const e of p.reachable) t.natChains.push(iptEndpointChain(svc, port, e.ip, e.port));

  const capture = `${match} -d ${clusterIP} --dport ${port.port}`;
  if (p.internal.verdict) {
    const v = filterVerdict(p.internal.verdict);
    t.filter.push(iptRule('KUBE-SERVICES', `-m comment --comment ${v.comment} ${capture} -j ${v.target}`));
  } else {
    t.nat.push(iptRule('KUBE-SERVICES', `-m comment --comment "${name} cluster IP" ${capture} -j ${policyChain(p.internal.policy)}`));
  }
  if (p.external) {
    const ext = p.external;
    const v = ext.verdict ? filterVerdict(ext.verdict) : undefined;
    const toIP = (ip: string) => `${match} -d ${ip} --dport ${port.port}`;
    for (const ip of ext.externalIPs) {
      if (ext.chain) t.nat.push(iptRule('KUBE-SERVICES', `-m comment --comment "${name} external IP" ${toIP(ip)} -j ${extChain}`));
      if (v) t.filter.push(iptRule('KUBE-EXTERNAL-SERVICES', `-m comment --comment ${v.comment} ${toIP(ip)} -j ${v.target}`));
    }
    for (const ip of ext.loadBalancerIPs) {
      if (ext.chain) t.nat.push(iptRule('KUBE-SERVICES', `-m comment --comment "${name} loadbalancer IP" ${toIP(ip)} -j ${firewall ? fwChain : extChain}`));
      // What KUBE-FW- let through was DNATed; the rest still has the LoadBalancer IP as destination and is dropped here.
      if (firewall) t.filter.push(iptRule('KUBE-PROXY-FIREWALL', `-m comment --comment "${name} traffic not accepted by ${fwChain}" ${toIP(ip)} -j DROP`));
    }
    if (v)
      for (const ip of ext.loadBalancerIPs) t.filter.push(iptRule('KUBE-EXTERNAL-SERVICES', `-m comment --comment ${v.comment} ${toIP(ip)} -j ${v.target}`));
    if (ext.nodePort !== undefined) {
      const nodePort = `${match} --dport ${ext.nodePort}`;
      if (ext.chain) t.nat.push(iptRule('KUBE-NODEPORTS', `-m comment --comment ${name} ${nodePort} -j ${extChain}`));
      if (v) t.filter.push(iptRule('KUBE-EXTERNAL-SERVICES', `-m comment --comment ${v.comment} -m addrtype --dst-type LOCAL ${nodePort} -j ${v.target}`));
    }
  }
  // The health check port is opened whether or not this node has endpoints: its answer (200 or 503) says which.
  if (p.healthCheck) {
    t.filter.push(iptRule('KUBE-NODEPORTS', `-m comment --comment "${name} health check node port" -m tcp -p tcp --dport ${p.healthCheck.nodePort} -j ACCEPT`));
  }

  // Off-cluster sources reaching the ClusterIP are masqueraded: their answer must come back through this node.
  if (!p.internal.verdict) {
    t.nat.push(iptRule(policyChain(p.internal.policy), `-m comment --comment "${name} cluster IP" ${capture} ! -s ${lab.network.podCIDR} -j KUBE-MARK-MASQ`));
  }
  if (p.external?.chain) {
    if (p.external.policy === 'cluster') {
      t.nat.push(iptRule(extChain, `-m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`));
    } else {
      t.nat.push(
        iptRule(extChain, `-m comment --comment "pod traffic for ${name} external destinations" -s ${lab.network.podCIDR} -j ${clusterChain}`),
        iptRule(extChain, `-m comment --comment "masquerade LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`),
        iptRule(extChain, `-m comment --comment "route LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${clusterChain}`),
      );
    }
    if (!p.external.verdict) t.nat.push(iptRule(extChain, `-j ${policyChain(p.external.policy)}`));
  }
  if (firewall) {
    for (const source of firewall.sources) t.nat.push(iptRule(fwChain, `-m comment --comment "${name} loadbalancer IP" -s ${source} -j ${extChain}`));
    t.nat.push(iptRule(fwChain, `-m comment --comment "other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL"`));
  }
  if (p.clusterChain) t.nat.push(...spread(clusterChain, name, p.cluster, svc, port));
  if (p.localChain) t.nat.push(...spread(localChain, name, p.local, svc, port));
  for (const e of p.reachable) {
    const chain = iptEndpointChain(svc, port, e.ip, e.port);
    t.nat.push(iptRule(chain, `-m comment --comment ${name} -s ${e.ip} -j KUBE-MARK-MASQ`));
    const affinity = svc.sessionAffinity === 'ClientIP' ? ` -m recent --name ${chain} --set` : '';
    t.nat.push(iptRule(chain, `-m comment --comment ${name}${affinity} ${match} -j DNAT --to-destination ${e.ip}:${e.port}`));
  }
}

/** Affinity first, then endpoint i of n with probability 1/(n-i) (`%0.10f`); the last takes the rest. */
function spread(chain: string, name: string, endpoints: Endpoint[], svc: Service, port: ServicePort): IptablesRule[] {
  const out: IptablesRule[] = [];
  const sep = (e: Endpoint) => iptEndpointChain(svc, port, e.ip, e.port);
  if (svc.sessionAffinity === 'ClientIP') {
    for (const e of endpoints) {
      out.push(
        iptRule(
          chain,
          `-m comment --comment "${name} -> ${e.ip}:${e.port}" -m recent --name ${sep(e)} --rcheck --seconds ${AFFINITY_TIMEOUT_SECONDS} --reap -j ${sep(e)}`,
        ),
      );
    }
  }
  endpoints.forEach((e, i) => {
    const n = endpoints.length;
    const probability = i < n - 1 ? ` -m statistic --mode random --probability ${(1 / (n - i)).toFixed(10)}` : '';
    out.push(iptRule(chain, `-m comment --comment "${name} -> ${e.ip}:${e.port}"${probability} -j ${sep(e)}`));
  });
  return out;
}

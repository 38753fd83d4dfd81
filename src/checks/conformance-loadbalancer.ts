import { routeTo, externalEndpoints, source } from '../lab/endpoints.js';
import { containsAddress, parseCidr } from '../lab/cidr.js';
import { l2Announcements } from '../lab/l2-election.js';
import type { Lab, Service, ServicePort } from '../lab/types.js';
import type { ConnectCheck } from './types.js';

/**
 * The LoadBalancer cases of kube-proxy's packet-flow tables
 * (pkg/proxy/nftables/proxier_test.go TestLoadBalancer,
 * TestExternalTrafficPolicyLocal, TestExternalTrafficPolicyCluster,
 * TestNoEndpointsReject; REFERENCE-3 §1.7), for every LoadBalancer address
 * the lab gives out, where the outside client can reach it (an
 * L2Advertisement or a BGP route announces it):
 * - external → LB IP: every endpoint under Cluster, masqueraded; under Local
 *   the endpoints of the nodes the address reaches, the client's address kept;
 * - external outside loadBalancerSourceRanges → LB IP: dropped, silently;
 * - pod → LB IP: short-circuited to every endpoint, masqueraded under Cluster
 *   and not under Local; dropped when the pod network is outside the ranges;
 * - a LoadBalancer Service without endpoints: rejected from a pod.
 * Pure.
 */
export function loadBalancerConformance(lab: Lab): ConnectCheck[] {
  const out: ConnectCheck[] = [];
  for (const svc of lab.services) {
    if (svc.type !== 'LoadBalancer') continue;
    for (const ip of svc.loadBalancerIPs) for (const port of svc.ports) out.push(...externalCases(lab, svc, port, ip), ...podCases(lab, svc, port, ip));
  }
  return out;
}

/** Whether an address is inside the Service's loadBalancerSourceRanges (no ranges: every client is). */
function allowed(svc: Service, ip: string): boolean {
  return svc.loadBalancerSourceRanges.length === 0 || svc.loadBalancerSourceRanges.some((r) => containsAddress(parseCidr(r), ip));
}

/** Something gets the outside client's packets for the address to a node: a BGP route, or a speaker answering ARP. */
function announced(lab: Lab, ip: string): boolean {
  return routeTo(lab, ip) !== undefined || l2Announcements(lab).some((a) => a.ip === ip);
}

function externalCases(lab: Lab, svc: Service, port: ServicePort, ip: string): ConnectCheck[] {
  if (!lab.external || port.endpoints.length === 0 || !announced(lab, ip)) return [];
  const local = svc.externalTrafficPolicy === 'Local';
  const from = source(lab, 'external');
  const name = `conformance: external → ${ip}:${port.port}/${port.protocol} (service/${svc.ref} loadbalancer IP${local ? ', Local' : ''})`;
  const base = { kind: port.protocol, from, to: { ip, label: ip }, port: port.port } as const;
  if (!allowed(svc, from.ip)) return [{ ...base, name: `${name}: outside loadBalancerSourceRanges, dropped`, expect: 'blocked' }];
  const answering = externalEndpoints(lab, svc, port, ip, from).map((e) => e.pod);
  if (answering.length === 0) return [];
  return [
    {
      ...base,
      name,
      expect: 'reachable',
      answerFrom: answering,
      ...(svc.sessionAffinity === 'ClientIP' ? { sticky: true as const } : { everyOf: answering }),
      sourceIP: local ? 'preserved' : 'masqueraded',
    },
  ];
}

function podCases(lab: Lab, svc: Service, port: ServicePort, ip: string): ConnectCheck[] {
  const endpoints = port.endpoints.map((e) => e.pod);
  // kube-proxy's tables use a pod that is no endpoint; failing that, an endpoint, whose connection to itself is hairpinned.
  const outsider = lab.pods.find((p) => p.system === undefined && !endpoints.includes(p.name));
  const client = outsider ?? lab.pods.find((p) => p.system === undefined);
  if (!client) return [];
  const name = `conformance: pod ${client.name} → ${ip}:${port.port}/${port.protocol} (service/${svc.ref} loadbalancer IP)`;
  const base = { kind: port.protocol, from: source(lab, client.name), to: { ip, label: ip }, port: port.port } as const;
  if (endpoints.length === 0) return [{ ...base, name: `${name}: no endpoints, rejected`, expect: 'unreachable' }];
  if (!allowed(svc, client.ip)) return [{ ...base, name: `${name}: the pod is outside loadBalancerSourceRanges, dropped`, expect: 'blocked' }];
  const local = svc.externalTrafficPolicy === 'Local';
  return [
    {
      ...base,
      name: `${name}, short-circuited to every endpoint`,
      expect: 'reachable',
      answerFrom: endpoints,
      ...(svc.sessionAffinity === 'ClientIP' ? { sticky: true as const } : { everyOf: endpoints }),
      // A hairpinned connection is masqueraded whatever the policy: only an outsider's source says which policy applied.
      ...(outsider ? { sourceIP: local ? ('preserved' as const) : ('masqueraded' as const) } : {}),
    },
  ];
}

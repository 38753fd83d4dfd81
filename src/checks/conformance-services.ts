import { nodePortEndpoints, source } from '../lab/endpoints.js';
import type { Lab, Service, ServicePort } from '../lab/types.js';
import type { ConnectCheck } from './types.js';

/**
 * The Service cases of the Kubernetes e2e tests ("should serve a basic
 * endpoint from pods", "should be able to create a functioning NodePort
 * service", "should be able to preserve UDP traffic", "hairpin", "should
 * reject connections to services without endpoints"), generated from the lab:
 * - every pod reaches every service port, answered by one of its endpoints,
 *   and the endpoint sees the pod's own address;
 * - from one pod, every endpoint of every service port answers in turn, or
 *   under sessionAffinity ClientIP, the endpoint that answered first, always;
 * - a pod that is an endpoint reaches itself through its service (hairpin);
 * - a service port without endpoints refuses the connection;
 * - every NodePort answers `external` on every node, masqueraded, from every
 *   endpoint (or, under externalTrafficPolicy Local, only from that node's,
 *   and not at all where it has none);
 * - under externalTrafficPolicy Local, on a node with no endpoint of its own,
 *   a pod there and the node itself still connect to the NodePort, answered
 *   by any endpoint: kube-proxy short-circuits their traffic to the cluster's
 *   endpoints (pkg/proxy/nftables/proxier.go "short-circuit pod traffic").
 * Pure.
 */
export function serviceConformance(lab: Lab): ConnectCheck[] {
  const out: ConnectCheck[] = [];
  const system = new Set(lab.pods.filter((p) => p.system !== undefined).map((p) => p.name));
  for (const svc of lab.services) {
    // kube-dns answers DNS, not netexec's verbs: its cases are the DNS ones.
    if (svc.clusterIP === undefined || svc.ports.some((p) => p.endpoints.some((e) => system.has(e.pod)))) continue;
    for (const port of svc.ports)
      out.push(...clusterIPCases(lab, svc, port, svc.clusterIP), ...nodePortCases(lab, svc, port), ...shortCircuitCases(lab, svc, port));
  }
  return out;
}

function clusterIPCases(lab: Lab, svc: Service, port: ServicePort, clusterIP: string): ConnectCheck[] {
  const label = `service/${svc.ref}`;
  const what = `${port.port}/${port.protocol}`;
  const endpoints = port.endpoints.map((e) => e.pod);
  const to = { ip: clusterIP, label, service: svc.ref };
  const check = (from: string, name: string, extra: Partial<ConnectCheck>): ConnectCheck => ({
    kind: port.protocol,
    name: `conformance: ${name}`,
    from: source(lab, from),
    to,
    port: port.port,
    expect: 'reachable',
    answerFrom: endpoints,
    ...extra,
  });
  if (endpoints.length === 0) {
    const client = lab.pods[0];
    return client ? [check(client.name, `${label} ${what} has no endpoints: ${client.name} is refused`, { expect: 'unreachable' })] : [];
  }
  const cases: ConnectCheck[] = [];
  for (const pod of lab.pods) {
    if (endpoints.includes(pod.name)) continue;
    cases.push(check(pod.name, `pod ${pod.name} → ${label} ${what}`, { sourceIP: 'preserved' }));
  }
  const spreader = lab.pods.find((p) => !endpoints.includes(p.name)) ?? lab.pods.find((p) => p.name === endpoints[0]);
  // ClientIP affinity promises the opposite of spreading: one client, one endpoint ("should have session affinity work for service").
  if (spreader && svc.sessionAffinity === 'ClientIP')
    cases.push(check(spreader.name, `${label} ${what} keeps ${spreader.name} on one endpoint (sessionAffinity ClientIP)`, { sticky: true }));
  else if (spreader) cases.push(check(spreader.name, `${label} ${what} spreads over all ${endpoints.length} endpoints`, { everyOf: endpoints }));
  cases.push(check(endpoints[0]!, `${endpoints[0]} reaches itself through ${label} ${what} (hairpin)`, {}));
  return cases;
}

function nodePortCases(lab: Lab, svc: Service, port: ServicePort): ConnectCheck[] {
  if (port.nodePort === undefined || !lab.external) return [];
  const local = svc.externalTrafficPolicy === 'Local';
  return lab.nodes.map((node) => {
    const answering = nodePortEndpoints(svc, port, node).map((e) => e.pod);
    const name = `conformance: external → ${node.name}:${port.nodePort}/${port.protocol} (service/${svc.ref}${local ? ', Local' : ''})`;
    const base = { kind: port.protocol, from: source(lab, 'external'), to: { ip: node.address, label: node.name }, port: port.nodePort! } as const;
    if (answering.length === 0) return { ...base, name: `${name} has no endpoint here`, expect: 'unreachable' as const };
    return {
      ...base,
      name: svc.sessionAffinity === 'ClientIP' ? `${name} keeps external on one endpoint` : name,
      expect: 'reachable' as const,
      answerFrom: answering,
      ...(svc.sessionAffinity === 'ClientIP' ? { sticky: true as const } : { everyOf: answering }),
      sourceIP: local ? ('preserved' as const) : ('masqueraded' as const),
    };
  });
}

/** A Local NodePort on a node with no endpoint of its own: from a pod there, and from the node, it still connects. */
function shortCircuitCases(lab: Lab, svc: Service, port: ServicePort): ConnectCheck[] {
  if (port.nodePort === undefined || svc.externalTrafficPolicy !== 'Local' || port.endpoints.length === 0) return [];
  const endpoints = port.endpoints.map((e) => e.pod);
  const out: ConnectCheck[] = [];
  for (const node of lab.nodes) {
    if (nodePortEndpoints(svc, port, node).length > 0) continue;
    const where = `${node.name}:${port.nodePort}/${port.protocol} (service/${svc.ref}, Local, no endpoint on ${node.name})`;
    const base = { kind: port.protocol, to: { ip: node.address, label: node.name }, port: port.nodePort, expect: 'reachable' as const, answerFrom: endpoints };
    const pod = lab.pods.find((p) => p.node === node.name && p.system === undefined && !endpoints.includes(p.name));
    if (pod) out.push({ ...base, name: `conformance: pod ${pod.name} → ${where}, short-circuited`, from: source(lab, pod.name) });
    out.push({ ...base, name: `conformance: ${node.name} itself → ${where}, short-circuited`, from: source(lab, node.name) });
  }
  return out;
}

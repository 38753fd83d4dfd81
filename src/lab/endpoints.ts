import { routerRoutes } from './bgp-announcements.js';
import { containsAddress, parseCidr } from './cidr.js';
import { lookupName, type NameAnswer } from './dns-names.js';
import { findByRef } from './namespaces.js';
import { l2Announcements, l2Election } from './l2-election.js';
import type { Endpoint, Lab, Node, Protocol, Service, ServicePort } from './types.js';

/** Where traffic starts: a pod, a node or the outside client, by its namespace. */
export interface Source {
  kind: 'pod' | 'node' | 'external';
  name: string;
  netns: string;
  /** The address it sends from on its main interface. */
  ip: string;
}

/** Where traffic goes: an address, and who holds it when the lab knows. */
export interface Target {
  ip: string;
  /** How the file named it (`pod4`, `10.244.99.9`, `service/web`). */
  label: string;
  /** The pod that must answer on this address (listeners answer with their pod's name). */
  pod?: string;
  /** A service behind this address (its ClusterIP, or a node's NodePort): one of its endpoints answers. */
  service?: string;
  /** The DNS name the file gave: the source resolves it through its resolv.conf first, and must get `ip`. */
  dnsName?: string;
}

/** A pod, node or the outside client by name (the rules guarantee it exists). */
export function source(lab: Lab, name: string): Source {
  if (name === 'external' && lab.external) return { kind: 'external', name, netns: lab.external.netns, ip: lab.external.address };
  const pod = findByRef(lab.pods, name).found;
  if (pod) return { kind: 'pod', name: pod.name, netns: pod.netns, ip: pod.ip };
  const node = lab.nodes.find((n) => n.name === name)!;
  return { kind: 'node', name, netns: node.netns, ip: node.address };
}

/** A name, a service or a literal address; loopback belongs to the source itself. */
export function target(lab: Lab, text: string, from: Source): Target {
  const svc = serviceNamed(lab, text) ?? lab.services.find((s) => s.clusterIP !== undefined && s.clusterIP === text);
  if (svc?.clusterIP) return { ip: svc.clusterIP, label: text, service: svc.ref };
  const pod = findByRef(lab.pods, text).found ?? lab.pods.find((p) => p.ip === text);
  if (pod) return { ip: pod.ip, label: text, pod: pod.name };
  const node = lab.nodes.find((n) => n.name === text || n.address === text);
  if (node) return { ip: node.address, label: text };
  if (lab.external && (text === 'external' || text === lab.external.address)) return { ip: lab.external.address, label: text };
  if (text.startsWith('127.') && from.kind === 'pod') return { ip: text, label: text, pod: from.name };
  const answer = from.kind === 'pod' ? lookupFrom(lab, from.name, text) : undefined;
  if (answer) {
    const svc = answer.service && lab.services.find((s) => s.name === answer.service!.name && s.namespace === answer.service!.namespace);
    const ip = answer.addresses[0]!;
    if (svc?.clusterIP) return { ip, label: text, service: svc.ref, dnsName: text };
    const holder = lab.pods.find((p) => p.ip === ip);
    return { ip, label: text, ...(holder ? { pod: holder.name } : {}), dnsName: text };
  }
  return { ip: text, label: text };
}

/** What cluster DNS answers `name` to a pod, through its search path; undefined without DNS or a record. */
export function lookupFrom(lab: Lab, pod: string, name: string): NameAnswer | undefined {
  const p = lab.pods.find((x) => x.name === pod);
  if (!lab.dns || !p || p.dnsPolicy !== 'ClusterFirst' || /^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return undefined;
  const pods = parseCidr(lab.network.podCIDR);
  return lookupName(
    {
      domain: lab.dns.domain,
      namespaces: lab.namespaces.map((n) => n.name),
      podCIDR: { contains: (ip) => containsAddress(pods, ip) },
      services: lab.services.map((s) => ({
        name: s.name,
        namespace: s.namespace,
        clusterIP: s.clusterIP,
        endpoints: [...new Set(s.ports.flatMap((x) => x.endpoints.map((e) => e.ip)))],
      })),
    },
    p.namespace,
    name,
  );
}

/** `service/NAME` (in default) or `service/NAMESPACE/NAME`. */
export function serviceNamed(lab: Lab, text: string): Service | undefined {
  if (!text.startsWith('service/')) return undefined;
  const rest = text.slice('service/'.length);
  const [a, b] = rest.split('/');
  return b === undefined ? lab.services.find((s) => s.namespace === 'default' && s.name === a) : lab.services.find((s) => s.namespace === a && s.name === b);
}

/**
 * The pods that may answer a connection from `from` to `target` on `port`: a
 * service's endpoints for that port, or, at a node's address, the endpoints
 * of the NodePort service listening there (nodePortEndpoints).
 */
export function answeringPods(lab: Lab, from: Source, to: Target, port: number, protocol: Protocol): { service: Service; pods: string[] } | undefined {
  if (to.service) {
    const svc = lab.services.find((s) => s.ref === to.service)!;
    const sp = svc.ports.find((p) => p.port === port && p.protocol === protocol);
    return { service: svc, pods: sp ? sp.endpoints.map((e) => e.pod) : [] };
  }
  const outside = lab.services.find((s) => s.loadBalancerIPs.includes(to.ip) || s.externalIPs.includes(to.ip));
  if (outside) {
    const sp = outside.ports.find((p) => p.port === port && p.protocol === protocol);
    return { service: outside, pods: sp ? externalEndpoints(lab, outside, sp, to.ip, from).map((e) => e.pod) : [] };
  }
  const node = lab.nodes.find((n) => n.address === to.ip);
  if (!node) return undefined;
  for (const svc of lab.services) {
    const sp = svc.ports.find((p) => p.nodePort === port && p.protocol === protocol);
    if (!sp) continue;
    return { service: svc, pods: nodePortEndpoints(svc, sp, node, from).map((e) => e.pod) };
  }
  return undefined;
}

/**
 * The endpoints that answer a service port's NodePort at one node: all of
 * them, or under externalTrafficPolicy Local only that node's own, but for a
 * pod or the node itself, whose traffic kube-proxy short-circuits to every
 * endpoint (pkg/proxy/nftables/proxier.go "short-circuit pod traffic",
 * "short-circuit local traffic"). Without `from`, a client off the cluster.
 */
export function nodePortEndpoints(svc: Service, port: ServicePort, node: Node, from?: Source): Endpoint[] {
  const shortCircuited = from !== undefined && (from.kind === 'pod' || (from.kind === 'node' && from.name === node.name));
  return svc.externalTrafficPolicy === 'Local' && !shortCircuited ? port.endpoints.filter((e) => e.node === node.name) : port.endpoints;
}

/**
 * The endpoints that answer a LoadBalancer or external IP: under
 * externalTrafficPolicy Local, those of the node the address reaches (for an
 * L2 address, the node MetalLB's election names while every speaker is up),
 * but for pods and nodes, which kube-proxy short-circuits to every endpoint;
 * otherwise all of them.
 */
export function externalEndpoints(lab: Lab, svc: Service, port: ServicePort, ip: string, from?: Source): Endpoint[] {
  const inside = from !== undefined && (from.kind === 'pod' || from.kind === 'node');
  if (svc.externalTrafficPolicy !== 'Local' || inside) return port.endpoints;
  // A BGP route is more specific than the client's own subnet: it wins over ARP, and spreads over every node it names.
  const routed = routeTo(lab, ip);
  if (routed) return port.endpoints.filter((e) => routed.includes(e.node));
  const announced = l2Announcements(lab).find((a) => a.ip === ip && a.service === svc.ref);
  const owner = announced ? l2Election(announced, new Set(lab.nodes.map((n) => n.name))).owner : undefined;
  return owner === undefined ? [] : port.endpoints.filter((e) => e.node === owner);
}

/** The nodes the router outside sends an address to (ECMP next hops of its longest matching BGP route), if any. */
export function routeTo(lab: Lab, ip: string): string[] | undefined {
  const best = [...routerRoutes(lab)]
    .filter(([prefix]) => containsAddress(parseCidr(prefix), ip))
    .sort(([a], [b]) => Number(b.split('/')[1]) - Number(a.split('/')[1]))[0];
  return best?.[1];
}

/** Every network namespace the lab is made of. */
export function labNamespaces(lab: Lab): string[] {
  return [lab.fabric.netns, ...(lab.external ? [lab.external.netns] : []), ...lab.nodes.map((n) => n.netns), ...lab.pods.map((p) => p.netns)];
}

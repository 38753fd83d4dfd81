import { intToAddress, parseCidr, type Cidr } from './cidr.js';
import { DEFAULT_NAMESPACE, podRef } from './namespaces.js';
import type { LoadBalancerAllocation } from './metallb.js';
import type { RawLab } from './raw.js';
import type { Endpoint, Pod, Protocol, Service, ServicePort } from './types.js';

/** The first Service port of a NodePort range kube-apiserver gives out (--service-node-port-range). */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;
/** kubeadm puts cluster DNS at the 10th address of the service CIDR; it is never allocated to another service. */
export const DNS_OFFSET = 10;
/** The first address is the `kubernetes` service's. */
export const KUBERNETES_OFFSET = 1;

/**
 * The lower band of a service CIDR that kube-apiserver keeps for addresses
 * chosen by hand (KEP-3070): min(max(16, size / 16), 256) addresses. Dynamic
 * allocation takes the band above it, so a fixed clusterIP never collides.
 */
export function staticBand(cidr: Cidr): number {
  const size = Number(cidr.last - cidr.first + 1n);
  return Math.min(Math.max(16, Math.floor(size / 16)), 256);
}

/** Why an address of the service CIDR is not for a service, or undefined. */
export function reservedServiceAddress(cidr: Cidr, address: bigint): string | undefined {
  if (address === cidr.first) return 'the network address';
  if (address === cidr.last) return 'the broadcast address';
  if (address === cidr.first + BigInt(KUBERNETES_OFFSET)) return "the `kubernetes` service's address (the first of serviceCIDR)";
  if (address === cidr.first + BigInt(DNS_OFFSET)) return "cluster DNS's address (the 10th of serviceCIDR, kubeadm's kube-dns)";
  return undefined;
}

/**
 * Services as kube-proxy sees them: ClusterIPs allocated (deterministically,
 * in file order, from the dynamic band), NodePorts allocated from 30000 up,
 * and each port's endpoints: the ready pods of the service's namespace whose
 * labels include the selector and that serve its target port. Assumes the
 * rules (rules/services.ts) hold.
 */
export function resolveServices(raw: RawLab, pods: Pod[], serviceCIDR: string, loadBalancers: Map<number, LoadBalancerAllocation> = new Map()): Service[] {
  const cidr = parseCidr(serviceCIDR);
  const takenIPs = new Set((raw.services ?? []).flatMap((s) => (s.clusterIP && s.clusterIP !== 'None' ? [s.clusterIP] : [])));
  const takenPorts = new Set(
    (raw.services ?? []).flatMap((s) => [
      ...s.ports.flatMap((p) => (p.nodePort ? [p.nodePort] : [])),
      ...(s.healthCheckNodePort ? [s.healthCheckNodePort] : []),
    ]),
  );
  let nextIP = cidr.first + BigInt(staticBand(cidr));
  let nextPort = NODE_PORT_MIN;
  const allocateIP = () => {
    for (; nextIP < cidr.last; nextIP++) {
      const text = intToAddress(nextIP);
      const last = Number(nextIP & 0xffn);
      // .0 and .255 are valid inside a /12, but read like network and broadcast addresses: skipped for people.
      if (last === 0 || last === 255 || takenIPs.has(text) || reservedServiceAddress(cidr, nextIP)) continue;
      takenIPs.add(text);
      return text;
    }
    throw new Error('service CIDR exhausted (the rules check the count first)');
  };
  const allocatePort = () => {
    while (takenPorts.has(nextPort)) nextPort++;
    takenPorts.add(nextPort);
    return nextPort++;
  };
  return (raw.services ?? []).map((s, i) => {
    const namespace = s.namespace ?? DEFAULT_NAMESPACE;
    const type = s.type ?? 'ClusterIP';
    const clusterIP = s.clusterIP === 'None' ? undefined : (s.clusterIP ?? allocateIP());
    const members = pods
      .filter((p) => p.namespace === namespace && p.ready && s.selector !== undefined && Object.keys(s.selector).length > 0)
      .filter((p) => Object.entries(s.selector!).every(([k, v]) => p.labels[k] === v))
      .sort((a, b) => compareIPs(a.ip, b.ip));
    const ports: ServicePort[] = s.ports.map((p) => {
      const protocol: Protocol = p.protocol === 'UDP' ? 'udp' : 'tcp';
      const target = p.targetPort ?? p.port;
      const endpoints: Endpoint[] = members.flatMap((pod) => {
        const port = typeof target === 'number' ? target : namedPort(pod, target, protocol);
        return port === undefined ? [] : [{ pod: pod.name, node: pod.node, ip: pod.ip, port }];
      });
      return { name: p.name ?? '', protocol, port: p.port, nodePort: p.nodePort ?? (allocatesNodePorts(s) ? allocatePort() : undefined), endpoints };
    });
    const lb = loadBalancers.get(i);
    // kube-apiserver allocates the health check port after the service's NodePorts (LoadBalancer + Local only).
    const healthCheck = type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' ? (s.healthCheckNodePort ?? allocatePort()) : undefined;
    return {
      name: s.name,
      namespace,
      ref: podRef(namespace, s.name),
      type,
      clusterIP,
      ports,
      sessionAffinity: s.sessionAffinity ?? 'None',
      externalTrafficPolicy: s.externalTrafficPolicy ?? 'Cluster',
      internalTrafficPolicy: s.internalTrafficPolicy ?? 'Cluster',
      loadBalancerIPs: lb ? [lb.ip] : [],
      addressPool: lb?.pool,
      externalIPs: [...(s.externalIPs ?? [])],
      loadBalancerSourceRanges: [...(s.loadBalancerSourceRanges ?? [])],
      healthCheckNodePort: healthCheck,
    };
  });
}

/** NodePort services get a NodePort per port; LoadBalancer ones too unless allocateLoadBalancerNodePorts is false. */
export function allocatesNodePorts(s: { type?: string; allocateLoadBalancerNodePorts?: boolean }): boolean {
  return s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
}

/** The number of a pod's container port with this name and protocol. */
export function namedPort(pod: Pick<Pod, 'containers'>, name: string, protocol: Protocol): number | undefined {
  for (const c of pod.containers) for (const l of c.listen) if (l.name === name && l.protocol === protocol) return l.port;
  return undefined;
}

function compareIPs(a: string, b: string): number {
  const n = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}

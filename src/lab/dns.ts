import { intToAddress, parseCidr } from './cidr.js';
import type { RawLab, RawPod } from './raw.js';
import type { ClusterDns } from './types.js';
import { DNS_OFFSET } from './services.js';

/** Kubernetes' default cluster domain (kubelet --cluster-domain). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** The label kube-dns and CoreDNS pods carry, and kube-dns's selector. */
export const DNS_POD_LABEL = { 'k8s-app': 'kube-dns' };
export const DNS_NAMESPACE = 'kube-system';
export const DNS_SERVICE = 'kube-dns';
/** kube-dns's pods, as the kube-dns addon named them before CoreDNS: they run dnsmasq, as it did. */
export const DNS_POD = 'kube-dns';

export type { ClusterDns };

/**
 * Cluster DNS is on for every lab with Services (a cluster without DNS is
 * not what a student meets), off for pure pod-network labs unless asked,
 * so the first exercises stay as small as the seeds draw them.
 */
export function clusterDnsOf(raw: RawLab, serviceCIDR: string): ClusterDns | undefined {
  const dns = raw.network?.dns;
  const enabled = dns?.enabled ?? (raw.services ?? []).length > 0;
  if (!enabled) return undefined;
  return { domain: dns?.domain ?? DEFAULT_CLUSTER_DOMAIN, serviceIP: dns?.serviceIP ?? intToAddress(parseCidr(serviceCIDR).first + BigInt(DNS_OFFSET)) };
}

/**
 * The lab with cluster DNS's own objects added as Kubernetes has them: two
 * DNS pods in kube-system (on different nodes where there are two, placed
 * after the file's own pods so those keep their nodes and addresses) and the
 * kube-dns Service at its address, ports 53/UDP, 53/TCP and 9153/TCP
 * (metrics: netlab's runtime answers it, with netexec's verbs, not
 * Prometheus text).
 */
export function withClusterDns(raw: RawLab, dns: ClusterDns): { raw: RawLab; dnsPods: RawPod } {
  const dnsPods: RawPod = {
    name: DNS_POD,
    namespace: DNS_NAMESPACE,
    replicas: Math.min(2, raw.nodes.length),
    labels: { ...DNS_POD_LABEL },
    dnsPolicy: 'Default',
    containers: [
      {
        name: 'dnsmasq',
        ports: [
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
        ],
      },
    ],
  };
  const service = {
    name: DNS_SERVICE,
    namespace: DNS_NAMESPACE,
    clusterIP: dns.serviceIP,
    selector: { ...DNS_POD_LABEL },
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' as const },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' as const },
      // kubeadm's kube-dns Service carries CoreDNS's Prometheus port too.
      { name: 'metrics', port: 9153, protocol: 'TCP' as const },
    ],
  };
  return { raw: { ...raw, pods: [...(raw.pods ?? []), dnsPods], services: [...(raw.services ?? []), service] }, dnsPods };
}

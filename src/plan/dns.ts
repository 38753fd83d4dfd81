import type { Lab, Pod, Service } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import type { Op, PlanContext } from './ops.js';

/** The version of the Kubernetes DNS specification the records follow (kubernetes/dns docs/specification.md, "Schema Version"). */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** CoreDNS's kubernetes plugin answers its records with TTL 5 unless told (plugin/kubernetes `ttl`, default 5). */
const RECORD_TTL_SECONDS = 5;
/** kubelet's defaultDNSOptions. */
const NDOTS = 5;

/**
 * Cluster DNS: in each DNS pod a real DNS server (dnsmasq, which the kube-dns
 * addon itself ran) answering the records of the Kubernetes DNS
 * specification for the lab's Services and pods, and in every ClusterFirst
 * pod the resolv.conf kubelet writes. `ip netns exec` bind-mounts
 * /etc/netns/NAMESPACE/resolv.conf over /etc/resolv.conf, so every program
 * run in the pod (getent, nslookup, dig, `netlab exec`) sees the cluster.
 */
export function planDns(lab: Lab, context: PlanContext): Contribution[] {
  const dns = lab.dns;
  if (!dns) return [];
  const dir = `${context.stateDir}/dns`;
  const hosts = `${dir}/hosts`;
  const servers: Op[] = [{ kind: 'file.write', path: hosts, content: hostsFile(lab) }];
  for (const pod of lab.pods.filter((p) => p.system === 'dns')) {
    const conf = `${dir}/${pod.podName}.conf`;
    servers.push(
      { kind: 'file.write', path: conf, content: dnsmasqConf(lab, pod, hosts, `${dir}/${pod.podName}.pid`) },
      { kind: 'daemon.start', netns: pod.netns, name: 'dnsmasq', argv: ['dnsmasq', `--conf-file=${conf}`] },
    );
  }
  const resolvers: Op[] = lab.pods
    .filter((p) => p.dnsPolicy === 'ClusterFirst' && p.system === undefined)
    .map((p) => ({ kind: 'file.write', path: `/etc/netns/${p.netns}/resolv.conf`, content: resolvConf(lab, p), public: true }));
  return [{ containers: [...servers, ...resolvers] }];
}

/**
 * kubelet's resolv.conf for dnsPolicy ClusterFirst (pkg/kubelet/network/dns):
 * the cluster DNS service as nameserver, the pod's namespace first in the
 * search list, ndots:5. The lab has no upstream resolver, so no host search
 * domains are appended.
 */
export function resolvConf(lab: Lab, pod: Pod): string {
  const d = lab.dns!.domain;
  return `nameserver ${lab.dns!.serviceIP}\nsearch ${pod.namespace}.svc.${d} svc.${d} ${d}\noptions ndots:${NDOTS}\n`;
}

/** Headless services: one A per ready endpoint on the service name, and one per endpoint on its dashed-IP hostname. */
export function hostsFile(lab: Lab): string {
  const lines = ['# Headless services (kubernetes/dns specification 2.4.1): IP NAME'];
  for (const svc of lab.services.filter((s) => s.clusterIP === undefined)) {
    const name = serviceName(lab, svc);
    for (const e of endpointsOf(svc)) lines.push(`${e.ip} ${dashed(e.ip)}.${name}`, `${e.ip} ${name}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The records of the Kubernetes DNS specification as dnsmasq options:
 * A (and PTR) for each ClusterIP service, SRV for named ports, the pod
 * records `a-b-c-d.NAMESPACE.pod.DOMAIN` by synth-domain, `dns-version`
 * TXT; NXDOMAIN for any other name of the cluster domain, and no upstream:
 * names outside the lab are refused and no query ever leaves it.
 */
export function dnsmasqConf(lab: Lab, pod: Pod, hosts: string, pidFile: string): string {
  const d = lab.dns!.domain;
  const lines = [
    `# dnsmasq for cluster DNS in ${pod.name}: the records of the Kubernetes DNS specification ${DNS_SCHEMA_VERSION}`,
    'no-resolv',
    'no-hosts',
    'bind-interfaces',
    `listen-address=${pod.ip}`,
    'port=53',
    'user=root',
    `pid-file=${pidFile}`,
    `local=/${d}/`,
    // A short name that the search list did not find ends as itself (`web.`): NXDOMAIN, as from the root.
    'domain-needed',
    'local=//',
    'local=/in-addr.arpa/',
    `local-ttl=${RECORD_TTL_SECONDS}`,
    `addn-hosts=${hosts}`,
    `txt-record=dns-version.${d},${DNS_SCHEMA_VERSION}`,
  ];
  // `pods insecure`: a-b-c-d.NAMESPACE.pod answers a.b.c.d in every namespace. dnsmasq synthesizes the reverse too,
  // from the last range that holds the address: the ptr-records below, which dnsmasq prefers, answer instead.
  for (const ns of lab.namespaces) lines.push(`synth-domain=${ns.name}.pod.${d},${lab.network.podCIDR}`);
  for (const [ip, name] of podPointers(lab)) lines.push(`ptr-record=${reverseName(ip)},${name}`);
  for (const svc of lab.services) {
    const name = serviceName(lab, svc);
    if (svc.clusterIP !== undefined) lines.push(`host-record=${name},${svc.clusterIP}`);
    for (const port of svc.ports.filter((p) => p.name !== '')) {
      const srv = `_${port.name}._${port.protocol}.${name}`;
      if (svc.clusterIP !== undefined) lines.push(`srv-host=${srv},${name},${port.port},0,100`);
      else for (const e of port.endpoints) lines.push(`srv-host=${srv},${dashed(e.ip)}.${name},${e.port},0,100`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What a pod's address points back to. CoreDNS's kubernetes plugin
 * (plugin/kubernetes/reverse.go serviceRecordForIP) answers an endpoint's
 * address with its hostname under its service, the dashed address where the
 * endpoint has no hostname: `10-244-0-3.db.other.svc.cluster.local`, as the
 * specification's 2.4.3 PTR for a headless service's endpoints. Any other
 * pod gets its own pod record (`10-244-0-2.default.pod.cluster.local`),
 * where CoreDNS has none and answers NXDOMAIN: dnsmasq cannot synthesize
 * the forward records without the reverse ones (docs/dns.md).
 */
export function podPointers(lab: Lab): Map<string, string> {
  const pointers = new Map<string, string>();
  for (const svc of lab.services) {
    for (const e of endpointsOf(svc)) if (!pointers.has(e.ip)) pointers.set(e.ip, `${dashed(e.ip)}.${serviceName(lab, svc)}`);
  }
  for (const pod of lab.pods) if (!pointers.has(pod.ip)) pointers.set(pod.ip, `${dashed(pod.ip)}.${pod.namespace}.pod.${lab.dns!.domain}`);
  return pointers;
}

/** `2.0.244.10.in-addr.arpa` for 10.244.0.2. */
function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

function serviceName(lab: Lab, svc: Service): string {
  return `${svc.name}.${svc.namespace}.svc.${lab.dns!.domain}`;
}

/** A headless service's ready endpoints, each once (over all its ports). */
function endpointsOf(svc: Service): Array<{ ip: string }> {
  return [...new Map(svc.ports.flatMap((p) => p.endpoints).map((e) => [e.ip, e])).values()];
}

function dashed(ip: string): string {
  return ip.replace(/\./g, '-');
}

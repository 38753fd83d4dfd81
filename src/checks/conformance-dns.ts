import { source } from '../lab/endpoints.js';
import type { Lab, Pod } from '../lab/types.js';
import type { DnsCheck } from './types.js';
import { DNS_SCHEMA_VERSION, podPointers } from '../plan/dns.js';

/** Past this many pods, the pod-record cases check a sample: the mesh of names is not the point. */
const POD_RECORDS = 10;

/**
 * The DNS cases of the Kubernetes e2e tests (test/e2e/network/dns.go): "should
 * provide DNS for services" (A for a ClusterIP, one A per ready endpoint of a
 * headless service, SRV for named ports), "for pods" (a-b-c-d.NS.pod.DOMAIN),
 * "for the cluster" (dns-version), and each address back to its name (PTR:
 * a ClusterIP to its service, a pod to what plan/dns.ts podPointers says),
 * each looked up from inside a pod through
 * its resolv.conf: by FQDN, and by short name from the service's own
 * namespace so the search path is exercised. Pure.
 */
export function dnsConformance(lab: Lab): DnsCheck[] {
  const dns = lab.dns;
  const clients = lab.pods.filter((p) => p.system === undefined && p.dnsPolicy === 'ClusterFirst');
  const anyClient = clients[0];
  if (!dns || !anyClient) return [];
  const check = (from: Pod, query: string, type: DnsCheck['type'], expect: DnsCheck['expect'], what: string): DnsCheck => ({
    kind: 'dns',
    name: `conformance: DNS ${what}: ${from.name} looks up ${query}${type === 'A' ? '' : ` ${type}`}`,
    from: source(lab, from.name),
    query,
    type,
    expect,
  });
  const out: DnsCheck[] = [check(anyClient, `dns-version.${dns.domain}`, 'TXT', [DNS_SCHEMA_VERSION], 'for the cluster')];
  for (const svc of lab.services) {
    const fqdn = `${svc.name}.${svc.namespace}.svc.${dns.domain}`;
    const headless = svc.clusterIP === undefined;
    const ips = [...new Set(svc.ports.flatMap((p) => p.endpoints.map((e) => e.ip)))];
    const expect: DnsCheck['expect'] = headless ? (ips.length > 0 ? ips : 'nxdomain') : [svc.clusterIP!];
    const what = headless ? 'for a headless service' : 'for services';
    out.push(check(anyClient, fqdn, 'A', expect, what));
    if (!headless) out.push(check(anyClient, svc.clusterIP!, 'PTR', [fqdn], 'PTR for services'));
    const neighbour = clients.find((p) => p.namespace === svc.namespace);
    if (neighbour) out.push(check(neighbour, svc.name, 'A', expect, `${what}, by short name`));
    for (const port of svc.ports.filter((p) => p.name !== '' && !headless)) {
      out.push(check(anyClient, `_${port.name}._${port.protocol}.${fqdn}`, 'SRV', [`0 100 ${port.port} ${fqdn}`], 'SRV for named ports'));
    }
  }
  const pointers = podPointers(lab);
  for (const pod of lab.pods.filter((p) => p.system === undefined).slice(0, POD_RECORDS)) {
    out.push(check(anyClient, `${pod.ip.replace(/\./g, '-')}.${pod.namespace}.pod.${dns.domain}`, 'A', [pod.ip], 'for pods'));
    out.push(check(anyClient, pod.ip, 'PTR', [pointers.get(pod.ip)!], 'PTR for pods'));
  }
  return out;
}

/**
 * What cluster DNS answers for a name asked from a pod, as its resolv.conf
 * makes it ask: kubelet's search list (NS.svc.DOMAIN svc.DOMAIN DOMAIN) first
 * for a name of fewer than ndots:5 dots, then the name itself. The same
 * records plan/dns.ts gives dnsmasq. Pure: rules use it to refuse a name no
 * record holds, checks to know which address the pod must get.
 */
export interface NameRecords {
  domain: string;
  namespaces: string[];
  podCIDR: { contains: (ip: string) => boolean };
  services: Array<{ name: string; namespace: string; clusterIP: string | undefined; endpoints: string[] }>;
}

export interface NameAnswer {
  /** The name that answered, fully qualified. */
  fqdn: string;
  addresses: string[];
  /** The service behind it, when it is a service's name. */
  service?: { name: string; namespace: string };
}

const NDOTS = 5;

export function searchList(records: NameRecords, namespace: string, name: string): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const d = records.domain;
  const searched = [`${name}.${namespace}.svc.${d}`, `${name}.svc.${d}`, `${name}.${d}`];
  return name.split('.').length - 1 >= NDOTS ? [name, ...searched] : [...searched, name];
}

export function lookupName(records: NameRecords, namespace: string, name: string): NameAnswer | undefined {
  for (const fqdn of searchList(records, namespace, name.toLowerCase())) {
    const answer = recordOf(records, fqdn);
    if (answer) return answer;
  }
  return undefined;
}

function recordOf(records: NameRecords, fqdn: string): NameAnswer | undefined {
  const suffix = `.${records.domain}`;
  if (!fqdn.endsWith(suffix)) return undefined;
  const labels = fqdn.slice(0, -suffix.length).split('.');
  // SVC.NS.svc, or HOST.SVC.NS.svc for a headless service's endpoint
  if (labels.at(-1) === 'svc' && (labels.length === 3 || labels.length === 4)) {
    const [host, svcName, ns] = labels.length === 4 ? labels : [undefined, ...labels];
    const svc = records.services.find((s) => s.name === svcName && s.namespace === ns);
    if (!svc) return undefined;
    const service = { name: svc.name, namespace: svc.namespace };
    if (host === undefined) {
      const addresses = svc.clusterIP !== undefined ? [svc.clusterIP] : svc.endpoints;
      return addresses.length > 0 ? { fqdn, addresses, service } : undefined;
    }
    const ip = svc.clusterIP === undefined ? svc.endpoints.find((e) => e.replace(/\./g, '-') === host) : undefined;
    return ip ? { fqdn, addresses: [ip], service } : undefined;
  }
  // a-b-c-d.NS.pod
  if (labels.length === 3 && labels[2] === 'pod' && records.namespaces.includes(labels[1]!)) {
    const ip = labels[0]!.split('-').join('.');
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && records.podCIDR.contains(ip) ? { fqdn, addresses: [ip] } : undefined;
  }
  return undefined;
}

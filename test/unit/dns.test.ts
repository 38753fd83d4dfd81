import { describe, expect, it } from 'vitest';
import { lookupName, searchList, type NameRecords } from '../../src/lab/dns-names.js';
import { loadLabText } from '../../src/lab/index.js';
import { dnsmasqConf, hostsFile, resolvConf } from '../../src/plan/dns.js';
import { shippedLab } from '../helpers/labs.js';

const records: NameRecords = {
  domain: 'cluster.local',
  namespaces: ['default', 'other'],
  podCIDR: { contains: (ip) => ip.startsWith('10.244.') },
  services: [
    { name: 'web', namespace: 'default', clusterIP: '10.96.1.1', endpoints: ['10.244.0.2'] },
    { name: 'db', namespace: 'other', clusterIP: undefined, endpoints: ['10.244.0.3', '10.244.1.4'] },
  ],
};

describe('names as a pod resolves them (search list, ndots:5)', () => {
  it('searches the namespace first for short names, the name itself first past ndots', () => {
    expect(searchList(records, 'default', 'web')).toEqual(['web.default.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']);
    expect(searchList(records, 'x', 'a.b.c.d.e.f')[0]).toBe('a.b.c.d.e.f');
    expect(searchList(records, 'x', 'web.default.svc.cluster.local.')).toEqual(['web.default.svc.cluster.local']);
  });

  it('answers services by short name, NAME.NAMESPACE and FQDN, from their namespace and others', () => {
    expect(lookupName(records, 'default', 'web')?.addresses).toEqual(['10.96.1.1']);
    expect(lookupName(records, 'other', 'web')).toBeUndefined();
    expect(lookupName(records, 'other', 'web.default')?.fqdn).toBe('web.default.svc.cluster.local');
    expect(lookupName(records, 'other', 'db')?.addresses).toEqual(['10.244.0.3', '10.244.1.4']);
    expect(lookupName(records, 'default', '10-244-1-4.db.other')?.addresses).toEqual(['10.244.1.4']);
  });

  it('answers pod records inside the pod network only', () => {
    expect(lookupName(records, 'default', '10-244-3-9.other.pod')?.addresses).toEqual(['10.244.3.9']);
    expect(lookupName(records, 'default', '10-245-3-9.other.pod')).toBeUndefined();
    expect(lookupName(records, 'default', '10-244-3-9.nowhere.pod')).toBeUndefined();
  });
});

describe("cluster DNS's plan", () => {
  const lab = shippedLab('dns');

  it('adds two DNS pods in kube-system on two nodes and kube-dns at the 10th address', () => {
    const dnsPods = lab.pods.filter((p) => p.system === 'dns');
    expect(dnsPods.map((p) => p.name)).toEqual(['kube-system/kube-dns-0', 'kube-system/kube-dns-1']);
    expect(new Set(dnsPods.map((p) => p.node)).size).toBe(2);
    const kubeDns = lab.services.find((s) => s.ref === 'kube-system/kube-dns')!;
    expect(kubeDns.clusterIP).toBe('10.96.0.10');
    expect(kubeDns.ports.map((p) => `${p.port}/${p.protocol}`)).toEqual(['53/udp', '53/tcp', '9153/tcp']);
  });

  it("writes kubelet's resolv.conf for ClusterFirst pods", () => {
    const visitor = lab.pods.find((p) => p.name === 'other/visitor')!;
    expect(resolvConf(lab, visitor)).toBe('nameserver 10.96.0.10\nsearch other.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
  });

  it("gives dnsmasq the specification's records and no upstream", () => {
    const conf = dnsmasqConf(
      lab,
      lab.pods.find((p) => p.system === 'dns')!,
      '/run/netlab/dns/dns/hosts',
      '/x.pid',
    );
    for (const line of [
      'no-resolv',
      'local=/cluster.local/',
      'host-record=web.default.svc.cluster.local,10.96.1.1',
      'srv-host=_http._tcp.web.default.svc.cluster.local,web.default.svc.cluster.local,80,0,100',
      'srv-host=_pg._tcp.db.other.svc.cluster.local,10-244-0-3.db.other.svc.cluster.local,5432,0,100',
      'synth-domain=other.pod.cluster.local,10.244.0.0/16',
      // kubernetes/dns docs/specification.md: Schema Version 1.1.0.
      'txt-record=dns-version.cluster.local,1.1.0',
      // CoreDNS's kubernetes plugin: TTL 5 unless told.
      'local-ttl=5',
      // A headless endpoint's address points at its hostname under its service (spec 2.4.3; CoreDNS reverse.go).
      'ptr-record=3.0.244.10.in-addr.arpa,10-244-0-3.db.other.svc.cluster.local',
      // So does an endpoint of a ClusterIP service (CoreDNS's EpIndexReverse covers every service).
      'ptr-record=2.0.244.10.in-addr.arpa,10-244-0-2.web.default.svc.cluster.local',
    ]) {
      expect(conf.split('\n'), line).toContain(line);
    }
    expect(conf).not.toMatch(/^server=/m);
    expect(hostsFile(lab)).toContain('10.244.0.3 10-244-0-3.db.other.svc.cluster.local\n10.244.0.3 db.other.svc.cluster.local');
    // A pod no service selects points at its own pod record, in its own namespace (not the first synth-domain's).
    const visitor = lab.pods.find((p) => p.name === 'other/visitor')!;
    expect(conf).toContain(`ptr-record=${visitor.ip.split('.').reverse().join('.')}.in-addr.arpa,${visitor.ip.replace(/\./g, '-')}.other.pod.cluster.local`);
  });

  it('is off in a pure pod-network lab, and on when asked', () => {
    expect(shippedLab('two-node').dns).toBeUndefined();
    const r = loadLabText('t.yaml', 'name: t\nnetwork: { dns: { enabled: true } }\nnodes: [{ name: n }]\n');
    expect(r.ok && r.lab.dns).toEqual({ domain: 'cluster.local', serviceIP: '10.96.0.10' });
  });
});

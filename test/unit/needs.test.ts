import { describe, expect, it } from 'vitest';
import { checkTools } from '../../src/checks/needs.js';
import { resolveChecks } from '../../src/checks/resolve.js';
import { planLab } from '../../src/plan/index.js';
import { planNeeds, type Need } from '../../src/plan/needs.js';
import { labOf, shippedLab } from '../helpers/labs.js';

/** A shipped lab's needs, programs apart from the rest. */
function needsOf(name: string): { programs: string[]; rest: Need[] } {
  const lab = shippedLab(name);
  const needs = planNeeds(lab, planLab(lab, { stateDir: `/run/netlab/${name}` }));
  return { programs: needs.flatMap((n) => (n.kind === 'program' ? [n.program] : [])).sort(), rest: needs.filter((n) => n.kind !== 'program') };
}

describe('what a plan needs of the machine, read off its ops (issue #24)', () => {
  it('a flannel VXLAN lab: iproute2, nsenter and the helpers; the runtime’s sockets', () => {
    const { programs, rest } = needsOf('two-node');
    expect(programs).toEqual(['bridge', 'ip', 'nsenter', 'python3']);
    expect(rest).toEqual([{ kind: 'open-files', sockets: 8 }]); // four pods, a TCP and a UDP port each
  });

  it('Services: nft or iptables-restore as the mode says, and bridge netfilter', () => {
    expect(needsOf('services').programs).toContain('nft');
    expect(needsOf('services').programs).not.toContain('iptables-restore');
    expect(needsOf('services-iptables').programs).toContain('iptables-restore');
    for (const name of ['services', 'services-iptables']) expect(needsOf(name).rest).toContainEqual({ kind: 'kernel', feature: 'br_netfilter' });
    expect(needsOf('two-node').rest.some((n) => n.kind === 'kernel')).toBe(false);
  });

  it('cluster DNS runs dnsmasq; Calico runs bird and talks to it with birdc', () => {
    expect(needsOf('dns').programs).toContain('dnsmasq');
    expect(needsOf('calico').programs).toEqual(expect.arrayContaining(['bird', 'birdc']));
    expect(needsOf('two-node').programs).not.toContain('bird');
  });

  it('Calico IP-in-IP needs the ipip module; kube-proxy ipvs needs IP_VS', () => {
    const base = { nodes: [{ name: 'n1' }], pods: [{ name: 'p', node: 'n1' }] };
    const ipip = labOf({ name: 'ipip', network: { backend: 'calico', calico: { encapsulation: 'ipip' } }, ...base });
    expect(planNeeds(ipip, planLab(ipip, { stateDir: '/run/netlab/ipip' }))).toContainEqual({ kind: 'kernel', feature: 'ipip' });
    const ipvs = labOf({ name: 'ipvs', network: { kubeProxy: { mode: 'ipvs' } }, ...base });
    expect(planNeeds(ipvs, planLab(ipvs, { stateDir: '/run/netlab/ipvs' }))).toContainEqual({ kind: 'kernel', feature: 'ip_vs' });
  });

  it('the CNI plugins a list names, from the directories it names', () => {
    const cni = needsOf('cni-reference').rest.find((n) => n.kind === 'cni-plugins');
    expect(cni).toMatchObject({ kind: 'cni-plugins', dirs: ['/usr/lib/cni'] });
    expect(new Set(cni?.kind === 'cni-plugins' ? cni.types : [])).toEqual(new Set(['loopback', 'bridge', 'portmap']));
  });
});

describe('what the checks need beside the lab', () => {
  const programs = (name: string) => checkTools(resolveChecks(shippedLab(name))).map((r) => r.program);

  it('dig for dns tests, ping for pings, tcpdump for captures; the prober needs nothing more', () => {
    expect(programs('dns')).toContain('dig');
    expect(programs('two-node')).not.toContain('dig');
    expect(programs('mtu-trouble')).toContain('ping');
    const capture = labOf({
      name: 'cap',
      nodes: [{ name: 'n1' }],
      pods: [
        { name: 'a', node: 'n1' },
        { name: 'b', node: 'n1' },
      ],
      tests: [{ capture: { on: 'n1:cni0', while: { ping: { from: 'a', to: 'b' } }, expect: { count: 1 } } }],
    });
    expect(checkTools(resolveChecks(capture)).map((r) => r.program)).toEqual(expect.arrayContaining(['tcpdump', 'ping']));
  });
});

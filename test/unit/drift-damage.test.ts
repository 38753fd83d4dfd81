import { describe, expect, it } from 'vitest';
import { findDrift, repairPlan } from '../../src/plan/drift.js';
import { planLab } from '../../src/plan/index.js';
import type { LiveLab, LiveNetns } from '../../src/plan/live.js';
import { unwatchedQuery, watchedNamespaces } from '../../src/plan/watch.js';
import { mirror } from '../helpers/mirror.js';
import { shippedLab } from '../helpers/labs.js';

const lab = shippedLab('dns');
const plan = planLab(lab, { stateDir: '/run/netlab/dns' });
const client = 'netlab.dns.pod.client';
const node = lab.nodes[0]!.netns;

/** The drift of a lab damaged in one way, as status names it (dependent findings left out). */
function damaged(harm: (live: LiveLab, pod: LiveNetns) => void): string[] {
  const live = mirror(plan);
  harm(live, live.namespaces[client]!);
  return findDrift(plan, live)
    .missing.filter((d) => !d.dependent)
    .map((d) => d.what);
}

/*
 * Each kind of damage issue #23 found status blind to: named by drift, and
 * either notified to the watcher (so a watched pod is read again) or read by
 * status every time. The notified kinds are runtime/netlab-watch.py's groups
 * (links with their ARP flag, routes of every table, qdiscs); files are read
 * by status itself; node tables are never watched.
 */
describe('damage that changes packets is named', () => {
  it('nothing, when the kernel is as planned', () => {
    expect(damaged(() => undefined)).toEqual([]);
  });

  it('a pod’s eth0 MTU lowered (the watcher sees the link change: MTU is a planned fact)', () => {
    const said = damaged((_, pod) => {
      pod.links.find((l) => l.name === 'eth0')!.mtu = 1400;
    });
    expect(said).toEqual([expect.stringMatching(/^node node\d: the peer eth0 of veth\w+ in pod client has MTU 1400, not 1450$/)]);
  });

  it('ARP turned off on a pod’s eth0 (the watcher compares IFF_NOARP with the link’s facts)', () => {
    expect(
      damaged((_, pod) => {
        pod.links.find((l) => l.name === 'eth0')!.arp = false;
      }),
    ).toEqual(['pod client: link eth0 has ARP off']);
  });

  it('a blackhole route to another node’s pods, and a route in another table (the watcher hears routes of every table)', () => {
    expect(
      damaged((_, pod) => {
        pod.routes.push({ dst: '10.244.1.0/24', type: 'blackhole', onlink: false }, { dst: '10.9.0.0/16', dev: 'eth0', table: 100, onlink: false });
      }),
    ).toEqual(['pod client: route blackhole 10.244.1.0/24 is not planned', 'pod client: route 10.9.0.0/16 dev eth0 table 100 is not planned']);
  });

  it('a drop-all table in a pod (the watcher listens to nf_tables news of every watched pod)', () => {
    expect(
      damaged((_, pod) => {
        pod.nftables = ['ip dropall'];
      }),
    ).toEqual(['pod client: nftables table ip dropall is not planned (netlab did not make it; `netlab up` deletes it)']);
  });

  it('a qdisc added to a pod’s eth0 (the watcher listens to RTNLGRP_TC)', () => {
    expect(
      damaged((_, pod) => {
        pod.qdiscs = [{ dev: 'eth0', kind: 'netem' }];
      }),
    ).toEqual(['pod client: qdisc netem on eth0 is not planned']);
  });

  it('a resolv.conf deleted, or edited (read by status every time)', () => {
    const path = `/etc/netns/${client}/resolv.conf`;
    expect(damaged((live) => (live.files![path] = null))).toEqual([`file ${path} is missing`]);
    expect(damaged((live) => (live.files![path] = 'nameserver 8.8.8.8\n'))).toEqual([`file ${path} was changed: it is not what netlab wrote`]);
  });

  it('a table of someone else’s on a node (nodes are read every time, never vouched for)', () => {
    expect(damaged((live) => live.namespaces[node]!.nftables!.push('ip evil'))).toEqual([
      'node node1: nftables table ip evil is not planned (netlab did not make it; `netlab up` deletes it)',
    ]);
    expect(watchedNamespaces(plan)).not.toContain(node);
    expect(unwatchedQuery(new Map([[node, { read: ['links'], sysctls: [] }]]), new Set(watchedNamespaces(plan))).query.has(node)).toBe(true);
  });

  it('the repair removes what is not planned first, then makes what is missing', () => {
    const live = mirror(plan);
    live.namespaces[client]!.routes.push({ dst: '10.244.1.0/24', type: 'blackhole', onlink: false });
    live.namespaces[client]!.qdiscs = [{ dev: 'eth0', kind: 'netem' }];
    live.namespaces[client]!.links.find((l) => l.name === 'eth0')!.arp = false;
    const fix = repairPlan(plan, findDrift(plan, live));
    expect(fix.stages[0]!.ops).toEqual([
      { kind: 'route.delete', netns: client, dst: '10.244.1.0/24', type: 'blackhole' },
      { kind: 'qdisc.delete', netns: client, dev: 'eth0' },
      { kind: 'link.arp.on', netns: client, name: 'eth0' },
    ]);
  });
});

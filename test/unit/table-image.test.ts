import { describe, expect, it } from 'vitest';
import { compareImages, imageOfIptables, imageOfNft, withoutCniChains, type NftJsonItem } from '../../src/plan/table-image.js';

const dnat = (addr: string, port: number) => ({ dnat: { addr, port } });
const match = (protocol: string, field: string, right: unknown) => ({ match: { op: '==', left: { payload: { protocol, field } }, right } });

/** A table as `nft -j list table` prints it, with the handles and counters that must not matter. */
function table(endpoint: string, opts: { hookPrio?: number; extraChain?: boolean; affinity?: string[]; counter?: number } = {}): NftJsonItem[] {
  return [
    { metainfo: { version: '1.0.6' } },
    { table: { family: 'ip', name: 'kube-proxy', handle: 7 } },
    {
      chain: {
        family: 'ip',
        table: 'kube-proxy',
        name: 'nat-prerouting',
        handle: 1,
        type: 'nat',
        hook: 'prerouting',
        prio: opts.hookPrio ?? -100,
        policy: 'accept',
      },
    },
    { chain: { family: 'ip', table: 'kube-proxy', name: 'endpoint-X', handle: 2 } },
    ...(opts.extraChain ? [{ chain: { family: 'ip', table: 'kube-proxy', name: 'sneaky', handle: 9 } }] : []),
    {
      rule: {
        family: 'ip',
        table: 'kube-proxy',
        chain: 'nat-prerouting',
        handle: 3,
        expr: [{ counter: { packets: opts.counter ?? 0, bytes: 0 } }, { jump: { target: 'endpoint-X' } }],
      },
    },
    { rule: { family: 'ip', table: 'kube-proxy', chain: 'endpoint-X', handle: 4, expr: [match('meta', 'l4proto', 'tcp'), dnat(endpoint, 8080)] } },
    { set: { family: 'ip', table: 'kube-proxy', name: 'cluster-ips', type: 'ipv4_addr', handle: 5, elem: ['10.96.1.2', '10.96.1.1'] } },
    {
      set: {
        family: 'ip',
        name: 'affinity-X',
        table: 'kube-proxy',
        type: 'ipv4_addr',
        flags: ['dynamic', 'timeout'],
        timeout: 10800,
        handle: 6,
        elem: opts.affinity ?? [],
      },
    },
  ];
}

describe('tables compared rule by rule', () => {
  const planned = imageOfNft(table('10.244.1.3'));

  it('agree when only handles, counters and what a dynamic set learned differ', () => {
    expect(compareImages('ip kube-proxy', planned, imageOfNft(table('10.244.1.3', { counter: 99, affinity: ['10.244.0.2'] })))).toEqual([]);
  });

  it('name a DNAT replaced in place, with both targets (the counts stay the same)', () => {
    expect(compareImages('ip kube-proxy', planned, imageOfNft(table('10.240.0.250')))).toEqual([
      'table ip kube-proxy: chain endpoint-X rule 1: meta l4proto tcp dnat to 10.240.0.250:8080, planned meta l4proto tcp dnat to 10.244.1.3:8080',
    ]);
  });

  it('name a hook moved to another priority, a chain nobody planned, a set element gone', () => {
    const live = imageOfNft(table('10.244.1.3', { hookPrio: -150, extraChain: true }));
    live.sets['cluster-ips']!.elements = ['"10.96.1.1"'];
    expect(compareImages('ip kube-proxy', planned, live, 10)).toEqual([
      'table ip kube-proxy: chain nat-prerouting is type nat hook prerouting priority -150 policy accept, planned type nat hook prerouting priority -100 policy accept',
      'table ip kube-proxy: chain sneaky is not planned (a regular chain)',
      'table ip kube-proxy: cluster-ips lacks 10.96.1.2',
    ]);
  });

  it('name a rule added, and one removed', () => {
    const more = imageOfNft(table('10.244.1.3'));
    more.chains['endpoint-X']!.rules.push(more.chains['nat-prerouting']!.rules[0]!);
    expect(compareImages('t', planned, more)).toEqual(['table t: chain endpoint-X rule 2: counter jump endpoint-X is not planned']);
    expect(compareImages('t', more, planned)).toEqual(['table t: chain endpoint-X rule 2: counter jump endpoint-X is missing']);
  });

  it('compare iptables-save output the same way, leaving the CNI plugins’ own chains out', () => {
    const saved = (to: string, cni = '') => ({
      nat: `*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SEP-A - [0:0]\n${cni ? ':CNI-HOSTPORT-DNAT - [0:0]\n' : ''}-A PREROUTING -j KUBE-SERVICES\n${cni}-A KUBE-SEP-A -p tcp -j DNAT --to-destination ${to}\nCOMMIT\n`,
    });
    const plan = imageOfIptables(saved('10.244.1.3:80'));
    expect(compareImages('iptables', plan, imageOfIptables(saved('10.240.0.250:80')))).toEqual([
      'table iptables: chain nat/KUBE-SEP-A rule 1: -p tcp -j DNAT --to-destination 10.240.0.250:80, planned -p tcp -j DNAT --to-destination 10.244.1.3:80',
    ]);
    const withCni = imageOfIptables(saved('10.244.1.3:80', '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT\n'));
    expect(compareImages('iptables', withoutCniChains(plan), withoutCniChains(withCni))).toEqual([]);
  });
});

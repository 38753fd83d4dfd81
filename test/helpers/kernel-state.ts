import { execa } from 'execa';

/**
 * What a student can see of a lab's nodes and pods, as flat facts
 * ("node1 link cni0 mtu" → "1450"), read with `ip -j` and sysctl as an
 * outsider would. Names that are random by design are replaced by what they
 * stand for: a host veth becomes `veth(POD)`, found through its peer.
 */
export async function kernelFacts(lab: string, places: string[]): Promise<Map<string, string>> {
  const facts = new Map<string, string>();
  const netnsOf = (place: string) => `netlab.${lab}.${place}`;
  // Host veths by the pod their peer lives in.
  const vethName = new Map<string, string>();
  const ids = new Map<string, Map<number, string>>();
  for (const place of places) {
    const list = JSON.parse((await execa('ip', ['-n', netnsOf(place), '-j', 'netns', 'list-id'])).stdout || '[]') as Array<{ nsid: number; name?: string }>;
    ids.set(place, new Map(list.map((e) => [e.nsid, (e.name ?? '').replace(`netlab.${lab}.`, '')])));
  }
  const links = new Map<string, Array<Record<string, unknown>>>();
  for (const place of places) {
    const l = JSON.parse((await execa('ip', ['-n', netnsOf(place), '-j', '-d', 'link', 'show'])).stdout) as Array<Record<string, unknown>>;
    links.set(place, l);
    for (const link of l) {
      const kind = (link.linkinfo as { info_kind?: string } | undefined)?.info_kind;
      if (kind === 'veth' && place.startsWith('node.') && link.link_netnsid !== undefined) {
        const peer = ids.get(place)!.get(link.link_netnsid as number) ?? '?';
        vethName.set(`${place}/${link.ifname as string}`, `veth(${peer.replace(/^pod\./, '')})`);
      }
    }
  }
  const name = (place: string, ifname: string) => vethName.get(`${place}/${ifname}`) ?? ifname;
  for (const place of places) {
    const ns = netnsOf(place);
    for (const link of links.get(place)!) {
      const n = name(place, link.ifname as string);
      const info = (link.linkinfo ?? {}) as { info_kind?: string; info_slave_data?: Record<string, unknown>; info_data?: Record<string, unknown> };
      const at = (k: string, v: unknown) => facts.set(`${place} link ${n} ${k}`, String(v));
      at('kind', info.info_kind ?? link.link_type);
      at('ifindex', link.ifindex);
      at('mtu', link.mtu);
      at('qlen', link.txqlen ?? 'none');
      at('mac', link.address);
      at('state', link.operstate);
      at('ipv6 addrgenmode', link.inet6_addr_gen_mode ?? 'absent');
      if (link.master) at('master', link.master);
      // A bridge port's and a bridge's settings, all but counters and timers.
      for (const k of PORT_KEYS) if (info.info_slave_data?.[k] !== undefined) at(`port ${k}`, info.info_slave_data[k]);
      if (info.info_kind === 'bridge') for (const k of BRIDGE_KEYS) at(`bridge ${k}`, info.info_data?.[k]);
      if (info.info_kind === 'vxlan') for (const k of ['id', 'local', 'port', 'learning']) at(`vxlan ${k}`, info.info_data?.[k]);
      if (link.ifname !== 'lo') {
        for (const key of [
          'ipv4/conf/IF/forwarding',
          'ipv4/conf/IF/proxy_arp',
          'ipv4/conf/IF/arp_notify',
          'ipv4/conf/IF/rp_filter',
          'ipv6/conf/IF/accept_ra',
          'ipv6/conf/IF/accept_dad',
        ]) {
          const path = key.replace('IF', (link.ifname as string).replace('.', '/'));
          const r = await execa('ip', ['netns', 'exec', ns, 'sysctl', '-n', `net.${path.replace(/\//g, '.')}`], { reject: false });
          at(`sysctl ${key.replace('/IF/', '/')}`, r.exitCode === 0 ? r.stdout.trim() : 'absent');
        }
      }
    }
    const addrs = JSON.parse((await execa('ip', ['-n', ns, '-j', '-4', 'addr', 'show'])).stdout) as Array<{
      ifname: string;
      addr_info: Array<{ local: string; prefixlen: number; broadcast?: string; scope: string }>;
    }>;
    for (const a of addrs) {
      for (const i of a.addr_info)
        facts.set(`${place} addr ${name(place, a.ifname)} ${i.local}/${i.prefixlen}`, `brd ${i.broadcast ?? 'none'} scope ${i.scope}`);
    }
    const routes = JSON.parse((await execa('ip', ['-n', ns, '-j', 'route', 'show'])).stdout) as Array<Record<string, unknown>>;
    for (const r of routes) {
      facts.set(
        `${place} route ${r.type && r.type !== 'unicast' ? `${r.type as string} ` : ''}${r.dst as string}${r.gateway ? ` via ${r.gateway as string}` : ''} dev ${name(place, r.dev as string)}`,
        `proto ${(r.protocol as string) ?? 'boot'} scope ${(r.scope as string) ?? 'global'}${r.prefsrc ? ` src ${r.prefsrc as string}` : ''}${(r.flags as string[] | undefined)?.length ? ` ${(r.flags as string[]).join(',')}` : ''}`,
      );
    }
  }
  return facts;
}

const PORT_KEYS = [
  'state',
  'priority',
  'cost',
  'hairpin',
  'guard',
  'root_block',
  'fastleave',
  'learning',
  'flood',
  'mcast_flood',
  'bcast_flood',
  'mcast_to_unicast',
  'neigh_suppress',
  'isolated',
  'proxy_arp',
];
const BRIDGE_KEYS = ['stp_state', 'forward_delay', 'hello_time', 'max_age', 'ageing_time', 'priority', 'vlan_filtering', 'mcast_snooping', 'nf_call_iptables'];

/** Facts in one and not the other, or with another value: `KEY: A → B` (absent as "-"). */
export function diffFacts(a: Map<string, string>, b: Map<string, string>): Array<{ key: string; a: string; b: string }> {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => ({ key: k, a: a.get(k) ?? '-', b: b.get(k) ?? '-' }));
}

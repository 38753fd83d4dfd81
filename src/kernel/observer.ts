import { birdFiles } from '../plan/bird.js';
import type { LiveBgpSession } from '../plan/live.js';
import { bgpSessionsAt } from './bird.js';
import { iptablesVerdict, readIptablesRules, readKubeProxyTable, serviceVerdict, type ServiceVerdict } from './kube-proxy-table.js';
import { resolveName } from './dig.js';
import { run } from './run.js';

export type { ServiceVerdict };

/** What the trace asks of the kernel: read-only lookups, injected so the walk is testable without root. */
export interface Observer {
  /** `ip route get DST [from SRC iif IIF]`; `matched` is the FIB entry (`fibmatch`). */
  routeGet(netns: string, dst: string, via?: { from: string; iif: string }): Promise<RouteAnswer>;
  link(netns: string, dev: string): Promise<LinkInfo | undefined>;
  linkByIndex(netns: string, ifindex: number): Promise<LinkInfo | undefined>;
  /** The namespace a peer lives in, from this namespace's nsid. */
  netnsById(netns: string, nsid: number): Promise<string | undefined>;
  neighbour(netns: string, ip: string, dev: string): Promise<{ mac?: string; state: string } | undefined>;
  /** Forwarding entry for a MAC on a bridge (its port) or a VXLAN device (its remote). */
  fdb(netns: string, dev: string, mac: string): Promise<{ port: string; dst?: string; state: string; self: boolean } | undefined>;
  /** Ports of a bridge. */
  ports(netns: string, bridge: string): Promise<LinkInfo[]>;
  /** IPv4 addresses on an interface. */
  addresses(netns: string, dev: string): Promise<string[]>;
  /** VXLAN devices of a namespace. */
  vxlans(netns: string): Promise<LinkInfo[]>;
  /** A name resolved in this namespace as its programs resolve it (glibc, its resolv.conf). */
  resolveName?(netns: string, name: string): Promise<string[]>;
  /** What kube-proxy's table in this namespace does with a new connection; undefined when it has no say. */
  serviceVerdict?(netns: string, dst: string, proto: string, port: number | undefined, src?: string): Promise<ServiceVerdict | undefined>;
  /** A calico node's BGP sessions as its BIRD reports them; undefined when BIRD does not answer. */
  bgpSessions?(node: string): Promise<LiveBgpSession[] | undefined>;
}

export type RouteAnswer =
  { ok: true; type: 'unicast' | 'local'; dev: string; gateway?: string; prefsrc?: string; matched?: string } | { ok: false; error: string };

export interface LinkInfo {
  name: string;
  ifindex: number;
  kind: 'veth' | 'bridge' | 'vxlan' | 'loopback' | 'other';
  mac: string;
  mtu: number;
  master?: string;
  /** The other end of a veth. */
  peer?: { nsid?: number; ifindex: number };
  vxlan?: { vni: number; local: string; port: number };
  /** A bridge port that may send a frame back out of the port it came in on (`hairpin on`). */
  hairpin?: boolean;
}

interface RawLink {
  ifname: string;
  ifindex: number;
  address: string;
  mtu: number;
  master?: string;
  link_index?: number;
  link_netnsid?: number;
  link_type?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number }; info_slave_data?: { hairpin?: boolean } };
}

async function json<T>(tool: 'ip' | 'bridge', netns: string, args: string[]): Promise<T | undefined> {
  const r = await run(tool, ['-n', netns, '-j', ...args]);
  if (r.exitCode !== 0) return undefined;
  return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T;
}

function toLink(l: RawLink): LinkInfo {
  const kind = l.linkinfo?.info_kind;
  const info = l.linkinfo?.info_data;
  return {
    name: l.ifname,
    ifindex: l.ifindex,
    kind: kind === 'veth' || kind === 'bridge' || kind === 'vxlan' ? kind : l.link_type === 'loopback' ? 'loopback' : 'other',
    mac: l.address,
    mtu: l.mtu,
    ...(l.master ? { master: l.master } : {}),
    ...(kind === 'veth' && l.link_index !== undefined
      ? { peer: { ifindex: l.link_index, ...(l.link_netnsid !== undefined ? { nsid: l.link_netnsid } : {}) } }
      : {}),
    ...(kind === 'vxlan' && info ? { vxlan: { vni: info.id ?? 0, local: info.local ?? '', port: info.port ?? 0 } } : {}),
    ...(l.linkinfo?.info_slave_data?.hairpin ? { hairpin: true } : {}),
  };
}

/**
 * The live kernel, read through iproute2's JSON output. Each namespace's
 * links are read once per trace: a walk asks about the same few many times.
 */
export function kernelObserver(options: { stateDir?: string } = {}): Observer {
  const links = new Map<string, Promise<LinkInfo[]>>();
  const tables = new Map<string, Promise<[Awaited<ReturnType<typeof readKubeProxyTable>>, Awaited<ReturnType<typeof readIptablesRules>>]>>();
  const linksOf = (netns: string) => {
    let p = links.get(netns);
    if (!p) links.set(netns, (p = json<RawLink[]>('ip', netns, ['-d', 'link', 'show']).then((ls) => (ls ?? []).map(toLink))));
    return p;
  };
  return {
    async routeGet(netns, dst, via): Promise<RouteAnswer> {
      const extra = via ? ['from', via.from, 'iif', via.iif] : [];
      const r = await run('ip', ['-n', netns, '-j', 'route', 'get', dst, ...extra]);
      if (r.exitCode !== 0) return { ok: false, error: r.stderr.trim().replace(/^RTNETLINK answers: /, '') || `exit ${r.exitCode}` };
      const [route] = JSON.parse(r.stdout) as Array<{ type?: string; dev: string; gateway?: string; prefsrc?: string }>;
      if (route!.type === 'local') return { ok: true, type: 'local', dev: route!.dev };
      const fib = await json<
        Array<{ dst: string; gateway?: string; dev?: string; protocol?: string; flags?: string[]; nexthops?: Array<{ gateway?: string; dev?: string }> }>
      >('ip', netns, ['route', 'get', 'fibmatch', dst, ...extra]);
      const m = fib?.[0];
      // As `ip route` prints it; `proto bird` says BGP put it there.
      const proto = m?.protocol && m.protocol !== 'boot' && m.protocol !== 'kernel' ? `proto ${m.protocol}` : '';
      // A multipath (ECMP) route has no device of its own: one per next hop.
      const paths = m?.nexthops?.map((h) => `nexthop via ${h.gateway} dev ${h.dev}`) ?? [];
      const matched = m
        ? [m.dst, m.gateway ? `via ${m.gateway}` : '', m.dev ? `dev ${m.dev}` : '', proto, ...(m.flags ?? []), ...paths].filter(Boolean).join(' ')
        : undefined;
      return {
        ok: true,
        type: 'unicast',
        dev: route!.dev,
        ...(route!.gateway ? { gateway: route!.gateway } : {}),
        ...(route!.prefsrc ? { prefsrc: route!.prefsrc } : {}),
        ...(matched ? { matched } : {}),
      };
    },
    link: async (netns, dev) => (await linksOf(netns)).find((l) => l.name === dev),
    linkByIndex: async (netns, ifindex) => (await linksOf(netns)).find((l) => l.ifindex === ifindex),
    async netnsById(netns, nsid) {
      const ids = await json<Array<{ nsid: number; name?: string }>>('ip', netns, ['netns', 'list-id']);
      return ids?.find((i) => i.nsid === nsid)?.name;
    },
    async neighbour(netns, ip, dev) {
      const n = await json<Array<{ dst: string; lladdr?: string; state?: string[] }>>('ip', netns, ['neigh', 'show', ip, 'dev', dev]);
      const entry = n?.find((e) => e.dst === ip);
      if (!entry) return undefined;
      const state = (entry.state ?? []).join(',');
      return entry.lladdr && !/FAILED|INCOMPLETE/.test(state) ? { mac: entry.lladdr, state } : { state };
    },
    async fdb(netns, dev, mac) {
      const link = (await linksOf(netns)).find((l) => l.name === dev);
      const args = link?.kind === 'bridge' ? ['fdb', 'show', 'br', dev] : ['fdb', 'show', 'dev', dev];
      const entries = await json<Array<{ mac: string; ifname: string; dst?: string; flags?: string[]; state?: string }>>('bridge', netns, args);
      const e = entries?.find((x) => x.mac === mac && (link?.kind !== 'vxlan' || x.dst));
      return e ? { port: e.ifname, ...(e.dst ? { dst: e.dst } : {}), state: e.state ?? '', self: (e.flags ?? []).includes('self') } : undefined;
    },
    ports: async (netns, bridge) => (await linksOf(netns)).filter((l) => l.master === bridge),
    async addresses(netns, dev) {
      const a = await json<Array<{ addr_info?: Array<{ local: string }> }>>('ip', netns, ['-4', 'addr', 'show', 'dev', dev]);
      return (a ?? []).flatMap((l) => (l.addr_info ?? []).map((x) => x.local));
    },
    vxlans: async (netns) => (await linksOf(netns)).filter((l) => l.kind === 'vxlan'),
    resolveName: async (netns, name) => (await resolveName(netns, name)).addresses,
    async serviceVerdict(netns, dst, proto, port, src) {
      let p = tables.get(netns);
      if (!p) tables.set(netns, (p = Promise.all([readKubeProxyTable(netns), readIptablesRules(netns)])));
      const [table, iptables] = await p;
      if (table) return serviceVerdict(table, dst, proto, port, src);
      return iptables ? iptablesVerdict(iptables, dst, proto, port, src) : undefined;
    },
    async bgpSessions(node) {
      if (options.stateDir === undefined) return undefined;
      return bgpSessionsAt(birdFiles(options.stateDir, node).socket);
    },
  };
}

import { describeNetns } from '../lab/names.js';
import type { ServiceVerdict } from '../kernel/observer.js';
import type { Hop, LinkInfo, Observer, Packet } from './types.js';

const MAX_HOPS = 64;

export interface WalkOptions {
  /** Which of a Service's endpoints to follow (by IP): the one the kernel chose, when it is known. */
  pick?: string;
  /** Addresses no interface holds that a lab daemon answers ARP for (MetalLB's speaker): the MAC it answers with, and why. */
  arpAnswers?: ReadonlyMap<string, { mac: string; why: string }>;
}

/** Where the walk is: a namespace's routing, with the interface the packet came in on. */
interface Position {
  netns: string;
  iif?: string;
}

interface Tunnel {
  inner: Packet;
  vni: number;
  port: number;
}

/**
 * Follows a packet through the live kernel, the way the kernel would send
 * it: in each namespace the route `ip route get` picks, the neighbour entry
 * for the next hop, the veth pair it crosses, the bridge port the FDB names,
 * VXLAN encapsulation by the neighbour and FDB entries of flannel.1, and
 * decapsulation on the far node, until the packet is delivered or a missing
 * entry drops it.
 */
export async function walk(o: Observer, start: string, first: Packet, options: WalkOptions = {}): Promise<{ hops: Hop[]; arrived: boolean }> {
  const hops: Hop[] = [];
  const add = (hop: Omit<Hop, 'n' | 'where'>) => hops.push({ n: hops.length + 1, where: where(hop.netns), ...hop });
  let at: Position = { netns: start };
  let packet = first;
  const tunnels: Tunnel[] = [];
  let translated = false;
  /** Set by a DNAT that also marked the packet: the node's postrouting rewrites its source to the outgoing address. */
  let masqueradeIn: string | undefined;

  while (hops.length < MAX_HOPS) {
    // kube-proxy's nat hooks run before routing (prerouting for a packet that came in, output for one made here).
    if (!translated && tunnels.length === 0 && o.serviceVerdict) {
      const v = await o.serviceVerdict(at.netns, packet.dst, packet.proto, packet.port, packet.src);
      if (v) {
        translated = true;
        const next = serviceHop(v, at.netns, packet, options.pick, add);
        if (!next) return { hops, arrived: false };
        if (v.kind === 'dnat' && (v.masquerade || next.dst === packet.src)) masqueradeIn = at.netns;
        // A frame a bridge takes up (cni0) passed bridge netfilter's prerouting first:
        // tcpdump on the bridge already sees the translated address.
        const before = hops.at(-2);
        if (before?.kind === 'bridge' && before.netns === at.netns) before.packet = next;
        packet = next;
      }
    }
    const r = await o.routeGet(at.netns, packet.dst, at.iif ? { from: packet.src, iif: at.iif } : undefined);
    if (!r.ok) {
      add({ kind: 'drop', netns: at.netns, packet, summary: `no route to ${packet.dst}: ${r.error}`, entry: `ip route get ${packet.dst}` });
      return { hops, arrived: false };
    }
    if (r.type === 'local') {
      const inner = await arrive(o, at, packet, tunnels, add);
      if (!inner) return { hops, arrived: true };
      ({ packet, at } = inner);
      continue;
    }

    const nextHop = r.gateway ?? packet.dst;
    let snat = '';
    if (masqueradeIn === at.netns) {
      // MASQUERADE takes the primary address of the interface the packet leaves by.
      const src = (await o.addresses(at.netns, r.dev))[0] ?? r.prefsrc;
      if (src) {
        snat = `; kube-proxy's masquerading rewrites the source ${packet.src} to ${src}, the address of ${r.dev}`;
        packet = { ...packet, src };
      }
      masqueradeIn = undefined;
    }
    add({
      kind: 'route',
      netns: at.netns,
      iface: r.dev,
      packet,
      summary: `${at.iif ? `came in on ${at.iif}; ` : ''}${packet.dst} goes ${r.gateway ? `via ${r.gateway} ` : ''}out of ${r.dev}${snat}`,
      ...(r.matched ? { entry: r.matched } : {}),
      tap: { netns: at.netns, iface: r.dev },
    });
    const out = await o.link(at.netns, r.dev);
    if (out?.kind === 'vxlan' && out.vxlan) {
      const outer = await encapsulate(o, at.netns, out, nextHop, packet, add);
      if (!outer) return { hops, arrived: false };
      tunnels.push({ inner: packet, vni: out.vxlan.vni, port: out.vxlan.port });
      packet = outer;
      at = { netns: at.netns };
      continue;
    }
    const mac = await resolveMac(o, at.netns, r.dev, nextHop, options.arpAnswers?.get(nextHop));
    if (!mac) {
      add({
        kind: 'drop',
        netns: at.netns,
        iface: r.dev,
        packet,
        summary: `nobody on ${r.dev} answers for ${nextHop}: no neighbour entry, and no interface on the segment holds it`,
        entry: `ip neigh show ${nextHop} dev ${r.dev}`,
      });
      return { hops, arrived: false };
    }
    hops[hops.length - 1]!.summary += `; ${nextHop} is ${mac.mac} (${mac.how})`;

    const arrival = await forward(o, at.netns, r.dev, mac.mac, packet, add);
    if (!arrival) return { hops, arrived: false };
    at = arrival;
  }
  add({ kind: 'drop', netns: at.netns, packet, summary: `more than ${MAX_HOPS} hops: a routing loop?` });
  return { hops, arrived: false };
}

/**
 * The packet is for this namespace: a tunnel packet is unwrapped by the VXLAN
 * device listening on its port (and the walk goes on with the inner packet);
 * anything else is delivered. Returns the inner packet's position, or
 * undefined once delivered.
 */
async function arrive(o: Observer, at: Position, packet: Packet, tunnels: Tunnel[], add: AddHop): Promise<{ packet: Packet; at: Position } | undefined> {
  const top = tunnels.at(-1);
  const vxlan =
    top && packet.proto === 'udp' && packet.port === top.port
      ? (await o.vxlans(at.netns)).find((v) => v.vxlan?.vni === top.vni && v.vxlan.port === top.port)
      : undefined;
  if (!top || !vxlan) {
    add({
      kind: 'deliver',
      netns: at.netns,
      ...(at.iif ? { iface: at.iif } : {}),
      packet,
      summary: `delivered: ${packet.dst} is an address of ${where(at.netns)}`,
    });
    return undefined;
  }
  tunnels.pop();
  add({
    kind: 'decap',
    netns: at.netns,
    iface: vxlan.name,
    packet: top.inner,
    summary: `UDP ${top.port} for ${packet.dst} goes to ${vxlan.name} (VNI ${top.vni}): decapsulated, the inner packet ${top.inner.src} → ${top.inner.dst} comes out of ${vxlan.name}`,
    entry: `${vxlan.name}: vxlan id ${top.vni} dstport ${top.port} local ${vxlan.vxlan!.local}`,
    tap: { netns: at.netns, iface: vxlan.name },
  });
  return { packet: top.inner, at: { netns: at.netns, iif: vxlan.name } };
}

function where(netns: string): string {
  return describeNetns(netns).name;
}

type AddHop = (hop: Omit<Hop, 'n' | 'where'>) => void;

/** flannel's way: the next hop's neighbour entry gives the remote VTEP MAC, the FDB entry for that MAC the remote node. */
async function encapsulate(o: Observer, netns: string, dev: LinkInfo, nextHop: string, packet: Packet, add: AddHop): Promise<Packet | undefined> {
  const neigh = await o.neighbour(netns, nextHop, dev.name);
  if (!neigh?.mac) {
    add({
      kind: 'drop',
      netns,
      iface: dev.name,
      packet,
      summary: `no neighbour entry for ${nextHop} on ${dev.name}: flannel writes a PERMANENT one per remote node, without it the kernel cannot learn the remote VTEP's MAC (nolearning)`,
      entry: `ip neigh show ${nextHop} dev ${dev.name}`,
    });
    return undefined;
  }
  const fdb = await o.fdb(netns, dev.name, neigh.mac);
  if (!fdb?.dst) {
    add({
      kind: 'drop',
      netns,
      iface: dev.name,
      packet,
      summary: `no FDB entry for the remote VTEP ${neigh.mac} on ${dev.name}: the kernel does not know which node to send it to`,
      entry: `bridge fdb show dev ${dev.name}`,
    });
    return undefined;
  }
  const vx = dev.vxlan!;
  const outer: Packet = { src: vx.local, dst: fdb.dst, proto: 'udp', port: vx.port };
  add({
    kind: 'encap',
    netns,
    iface: dev.name,
    packet: outer,
    summary: `${dev.name} wraps it in VXLAN (VNI ${vx.vni}): UDP ${vx.local} → ${fdb.dst}:${vx.port}, inner frame to ${neigh.mac}`,
    entry: `neigh ${nextHop} lladdr ${neigh.mac} ${neigh.state}; fdb ${neigh.mac} dst ${fdb.dst} self ${fdb.state}`,
  });
  return outer;
}

/** The next hop's MAC: from the neighbour cache, or found the way ARP would find it. */
async function resolveMac(
  o: Observer,
  netns: string,
  dev: string,
  ip: string,
  speaker?: { mac: string; why: string },
): Promise<{ mac: string; how: string } | undefined> {
  const neigh = await o.neighbour(netns, ip, dev);
  if (neigh?.mac) return { mac: neigh.mac, how: `neighbour entry, ${neigh.state}${speaker && speaker.mac === neigh.mac ? `; ${speaker.why}` : ''}` };
  if (speaker) return { mac: speaker.mac, how: `not cached: ARP asks who-has ${ip} on ${dev}; ${speaker.why}` };
  const holder = await findHolder(o, netns, dev, ip);
  return holder ? { mac: holder, how: `not cached: ARP asks who-has ${ip} on ${dev}` } : undefined;
}

/** The MAC of the interface that holds `ip` on the L2 segment behind `dev`. */
async function findHolder(o: Observer, netns: string, dev: string, ip: string): Promise<string | undefined> {
  const link = await o.link(netns, dev);
  if (!link) return undefined;
  const candidates: Array<{ netns: string; link: LinkInfo }> = [];
  if (link.kind === 'bridge') {
    for (const port of await o.ports(netns, dev)) {
      const peer = await peerOf(o, netns, port);
      if (peer) candidates.push(peer);
    }
  } else if (link.kind === 'veth') {
    const peer = await peerOf(o, netns, link);
    if (peer?.link.master) {
      const bridge = await o.link(peer.netns, peer.link.master);
      if (bridge) candidates.push({ netns: peer.netns, link: bridge });
      for (const port of await o.ports(peer.netns, peer.link.master)) {
        if (port.name === peer.link.name) continue;
        const far = await peerOf(o, peer.netns, port);
        if (far) candidates.push(far);
      }
    } else if (peer) candidates.push(peer);
  }
  for (const c of candidates) if ((await o.addresses(c.netns, c.link.name)).includes(ip)) return c.link.mac;
  return undefined;
}

async function peerOf(o: Observer, netns: string, link: LinkInfo): Promise<{ netns: string; link: LinkInfo } | undefined> {
  if (link.kind !== 'veth' || !link.peer) return undefined;
  const peerNetns = link.peer.nsid === undefined ? netns : await o.netnsById(netns, link.peer.nsid);
  if (!peerNetns) return undefined;
  const peer = await o.linkByIndex(peerNetns, link.peer.ifindex);
  return peer ? { netns: peerNetns, link: peer } : undefined;
}

/**
 * Carries a frame for `mac` out of (netns, dev): across veth pairs and
 * through bridges by their FDB, until an interface takes it up to routing.
 */
async function forward(o: Observer, netns: string, dev: string, mac: string, packet: Packet, add: AddHop): Promise<Position | undefined> {
  let cur = { netns, dev };
  /** The bridge port the frame came in on, when it came in through one. */
  let ingress: LinkInfo | undefined;
  for (let step = 0; step < 16; step++) {
    const link = await o.link(cur.netns, cur.dev);
    if (link?.kind === 'bridge') {
      const port = await bridgePort(o, cur.netns, link, mac);
      if (!port) {
        add({ kind: 'drop', netns: cur.netns, iface: link.name, packet, summary: `${link.name} has no port for ${mac}` });
        return undefined;
      }
      // A bridge never sends a frame back out of the port it came in on, unless that port has hairpin on.
      if (ingress && port.name === ingress.name && !ingress.hairpin) {
        add({
          kind: 'drop',
          netns: cur.netns,
          iface: port.name,
          packet,
          summary: `${link.name} drops the frame for ${mac}: it would leave by ${port.name}, the port it came in on, and that port has hairpin off`,
          entry: port.entry,
        });
        return undefined;
      }
      add({
        kind: 'bridge',
        netns: cur.netns,
        iface: port.name,
        packet,
        summary: `${link.name} sends the frame for ${mac} out of port ${port.name}`,
        entry: port.entry,
        tap: { netns: cur.netns, iface: port.name },
      });
      cur = { netns: cur.netns, dev: port.name };
      continue;
    }
    if (link?.kind !== 'veth') {
      add({ kind: 'drop', netns: cur.netns, iface: cur.dev, packet, summary: `${cur.dev} is not a device the trace can follow (${link?.kind ?? 'missing'})` });
      return undefined;
    }
    const peer = await peerOf(o, cur.netns, link);
    if (!peer) {
      add({ kind: 'drop', netns: cur.netns, iface: cur.dev, packet, summary: `the veth ${cur.dev} has no peer` });
      return undefined;
    }
    add({
      kind: 'veth',
      netns: peer.netns,
      iface: peer.link.name,
      packet,
      summary: `crosses the veth pair ${where(cur.netns)}:${cur.dev} → ${where(peer.netns)}:${peer.link.name}`,
      tap: { netns: peer.netns, iface: peer.link.name },
    });
    if (!peer.link.master) return { netns: peer.netns, iif: peer.link.name };
    const bridge = await o.link(peer.netns, peer.link.master);
    if (bridge && bridge.mac === mac) {
      add({
        kind: 'bridge',
        netns: peer.netns,
        iface: bridge.name,
        packet,
        summary: `${bridge.name} takes the frame for its own MAC ${mac}: up to ${where(peer.netns)}'s routing`,
        tap: { netns: peer.netns, iface: bridge.name },
      });
      return { netns: peer.netns, iif: bridge.name };
    }
    ingress = peer.link;
    cur = { netns: peer.netns, dev: peer.link.master };
  }
  return undefined;
}

/** The port a bridge sends `mac` to: its FDB entry, or (not learned yet) the port whose far end holds it. */
async function bridgePort(o: Observer, netns: string, bridge: LinkInfo, mac: string): Promise<{ name: string; entry: string } | undefined> {
  const fdb = await o.fdb(netns, bridge.name, mac);
  if (fdb && fdb.port !== bridge.name) return { name: fdb.port, entry: `${mac} dev ${fdb.port} master ${bridge.name}${fdb.state ? ` ${fdb.state}` : ''}` };
  for (const port of await o.ports(netns, bridge.name)) {
    const peer = await peerOf(o, netns, port);
    if (peer?.link.mac === mac) return { name: port.name, entry: `${mac} not learned yet: flooded, and port ${port.name} leads to it` };
  }
  return undefined;
}

/**
 * A Service's address, translated by kube-proxy's rules: the map element
 * that matched, the chains it went through, the endpoints `numgen` picks
 * from, and the one the walk follows (the kernel's real choice when known,
 * else the first). A service without endpoints is the end of the road.
 */
function serviceHop(v: ServiceVerdict, netns: string, packet: Packet, pick: string | undefined, add: AddHop): Packet | undefined {
  const what = `${packet.dst}:${packet.port}/${packet.proto}`;
  if (v.kind !== 'dnat') {
    add({
      kind: 'drop',
      netns,
      packet,
      summary: `kube-proxy ${v.kind === 'reject' ? 'rejects' : 'drops'} ${what}: ${v.why}`,
      entry: `nft list table ip kube-proxy: ${v.element}`,
    });
    return undefined;
  }
  const chosen = v.endpoints.find((e) => e.ip === pick) ?? v.endpoints[0];
  if (!chosen) {
    add({ kind: 'drop', netns, packet, summary: `kube-proxy matches ${what} but its chain ${v.chains.at(-1)} picks no endpoint`, entry: v.element });
    return undefined;
  }
  const candidates = v.endpoints.map((e) => `${e.ip}:${e.port}`).join(', ');
  const why = pick === chosen.ip ? 'the one conntrack chose' : 'following the first';
  add({
    kind: 'dnat',
    netns,
    packet,
    summary: `kube-proxy: ${what} → ${v.chains.join(' → ')}; ${v.pick} picks 1 of ${v.endpoints.length} (${candidates}): DNAT to ${chosen.ip}:${chosen.port}, ${why}`,
    entry: `${v.element} ; ${chosen.chain}`,
  });
  return { ...packet, dst: chosen.ip, port: chosen.port };
}

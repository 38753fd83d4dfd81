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
}

export type RouteAnswer =
  | { ok: true; type: 'unicast' | 'local'; dev: string; gateway?: string; prefsrc?: string; matched?: string }
  | { ok: false; error: string };

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
}

/** A packet as the trace follows it; `outer` while it is inside a tunnel. */
export interface Packet {
  src: string;
  dst: string;
  proto: 'icmp' | 'tcp' | 'udp';
  port?: number;
}

export type HopKind = 'route' | 'veth' | 'bridge' | 'encap' | 'decap' | 'deliver' | 'drop';

/** One step the packet takes, in the order it meets them. */
export interface Hop {
  n: number;
  kind: HopKind;
  netns: string;
  /** What a student calls the place: `pod1`, `node1`, `fabric`. */
  where: string;
  iface?: string;
  /** One line: what happens here. */
  summary: string;
  /** The table entry that decided it, as the tool that shows it prints it. */
  entry?: string;
  /** The packet as it is on this hop (the outer one inside a tunnel). */
  packet: Packet;
  /** Where a capture sees this hop: namespace, interface. */
  tap?: { netns: string; iface: string };
}

export interface Trace {
  lab: string;
  from: string;
  to: string;
  packet: Packet;
  hops: Hop[];
  arrived: boolean;
}

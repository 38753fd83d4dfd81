export type { LinkInfo, Observer, RouteAnswer } from '../kernel/observer.js';

/** A packet as the trace follows it; `outer` while it is inside a tunnel. */
export interface Packet {
  src: string;
  dst: string;
  proto: 'icmp' | 'tcp' | 'udp';
  port?: number;
}

export type HopKind = 'dns' | 'route' | 'dnat' | 'veth' | 'bridge' | 'encap' | 'decap' | 'deliver' | 'drop' | 'proxy';

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

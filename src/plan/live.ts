import type { TableImage } from './table-image.js';
/**
 * The kernel state of a lab's namespaces as read back (runtime/netlab-observe.py):
 * what the plan is compared with. Data only; reading it is src/kernel's job.
 */
export interface LiveLink {
  name: string;
  index: number;
  kind: string;
  mac: string;
  mtu: number;
  up: boolean;
  /** False when ARP is off (IFF_NOARP): the link neither asks nor answers for its addresses. */
  arp: boolean;
  master?: string;
  hairpin?: boolean;
  /** How the kernel makes its IPv6 link-local address (eui64, none, stable_secret, random), as `ip -d link` says. */
  addrGenMode?: string;
  /** A veth's peer's ifindex (in the peer's own namespace). */
  peerIndex?: number;
  vxlan?: { id: number; local: string; port: number };
}

/** What to read of a namespace: these kinds of objects (the others read as empty) and these sysctls. */
export interface NamespaceQuery {
  read: Array<'links' | 'addresses' | 'routes' | 'neighbours' | 'fdb' | 'qdiscs' | 'nftables'>;
  sysctls: string[];
  /** Neighbours and FDB entries are read on these devices only (on all when absent): a node's bridge learns hundreds. */
  devices?: Partial<Record<'neighbours' | 'fdb', string[]>>;
}

export interface LiveNetns {
  links: LiveLink[];
  addresses: Array<{ dev: string; address: string }>;
  /** Every table's routes but the kernel's `local`: `table` outside main, `type` when not unicast, `kernel` for connected routes. */
  routes: LiveRoute[];
  /** Root qdiscs of its links (none of which netlab plans). */
  qdiscs?: Array<{ dev: string; kind: string }>;
  neighbours: Array<{ dev: string; address: string; lladdr: string; permanent: boolean }>;
  fdb: Array<{ dev: string; mac: string; dst?: string }>;
  sysctls: Record<string, string | null>;
  /** nftables tables the plan loads here (`iptables` for iptables' filter and nat), as read back (null: absent). */
  tables?: Record<string, LiveTable | null>;
  /** Every nftables table of the namespace, `FAMILY NAME` (iptables-nft's included): any the plan does not make is damage. */
  nftables?: string[];
}

/** A table as the kernel holds it, and the plan as the kernel holds it once loaded (kernel/canon.ts), to compare rule by rule. */
export interface LiveTable {
  image: TableImage;
  planned?: TableImage;
}

/** Every namespace the plan names: its state, or null when the namespace is gone. */
export interface LiveRoute {
  dst: string;
  via?: string;
  dev?: string;
  onlink: boolean;
  table?: number;
  type?: string;
  kernel?: true;
  /** The owner's protocol number when not the kernel's or boot's (`proto bird` is 12, felix's 80). */
  protocol?: number;
}

export interface LiveLab {
  namespaces: Record<string, LiveNetns | null>;
  /**
   * Namespaces not read because the lab's watcher vouches that nothing in
   * them changed since `up` built them as planned (runtime/netlab-watch.py).
   */
  unchanged?: string[];
  /** Whether the lab's container runtime still runs (undefined: the lab has none). */
  agentRunning: boolean | undefined;
  /** For each namespace the plan starts a daemon in (dnsmasq): whether a process still runs there. */
  daemons?: Record<string, boolean>;
  /** For each node with a MetalLB speaker: whether it still runs. */
  speakers?: Record<string, boolean>;
  /** For each node with a BGP daemon: its sessions as BIRD reports them, or null when BIRD does not answer. */
  bgp?: Record<string, LiveBgpSession[] | null>;
  /** The files the plan writes, as they are on disk (null: missing). */
  files?: Record<string, string | null>;
}

export interface LiveBgpSession {
  name: string;
  established: boolean;
  /** In BIRD's words: `Established`, `Active (Socket: Connection refused)`, `down (disabled)`. */
  state: string;
}

import type { IptablesRuleset } from './iptables-ruleset.js';
import type { NftRuleset } from './nft-ruleset.js';
import type { Conflist } from '../lab/conflist.js';
/**
 * The operations a plan is made of. Each names the namespace it acts in;
 * `netns.add` and the files act on the host's filesystem, never on its
 * network namespace.
 */
export type Op =
  | NetnsAdd
  | BridgeAdd
  | VethAdd
  | VxlanAdd
  | LinkUp
  | LinkDelete
  | LinkMaster
  | LinkHairpin
  | LinkAddrGenMode
  | AddrAdd
  | RouteAdd
  | RouteBlackhole
  | RouteDelete
  | QdiscDelete
  | LinkArpOn
  | NeighReplace
  | FdbReplace
  | SysctlSet
  | FileWrite
  | ProcessStart
  | NftLoad
  | IptablesRestore
  | DaemonStart
  | BgpEstablish
  | CniAdd
  | SpeakerStart
  | TlsIssue;

export interface NetnsAdd {
  kind: 'netns.add';
  netns: string;
}

export interface BridgeAdd {
  kind: 'link.add.bridge';
  netns: string;
  name: string;
  mac: string;
  mtu?: number;
}

/** A veth pair made in `netns`, its peer moved straight into `peer.netns`. */
export interface VethAdd {
  kind: 'link.add.veth';
  netns: string;
  name: string;
  mac: string;
  mtu: number;
  /** Both ends' transmit queue length, when set: the CNI plugins make veths with 0 (netlink's zero value). */
  txqueuelen?: number;
  peer: { netns: string; name: string; mac: string };
}

export interface VxlanAdd {
  kind: 'link.add.vxlan';
  netns: string;
  name: string;
  mac: string;
  mtu: number;
  vni: number;
  local: string;
  dev: string;
  port: number;
  /** flanneld makes its device with 0, as the plugins do their veths. */
  txqueuelen?: number;
}

export interface LinkUp {
  kind: 'link.up';
  netns: string;
  name: string;
}

/** Removes a link that is not the one planned (repair only: a plan for a new lab never deletes). */
export interface LinkDelete {
  kind: 'link.delete';
  netns: string;
  name: string;
}

/** Makes `name` a port of bridge `master`. */
export interface LinkMaster {
  kind: 'link.master';
  netns: string;
  name: string;
  master: string;
}

/** Lets a bridge port send a frame back out where it came in (the CNI bridge plugin's hairpinMode). */
export interface LinkHairpin {
  kind: 'link.hairpin';
  netns: string;
  name: string;
}

/**
 * How the kernel makes the link's IPv6 link-local address; `none` makes none,
 * so no duplicate address detection, router solicitation or MLD report. Set
 * before the link comes up: the address is made when it does.
 */
export interface LinkAddrGenMode {
  kind: 'link.addrgenmode';
  netns: string;
  name: string;
  mode: 'none';
}

export interface AddrAdd {
  kind: 'addr.add';
  netns: string;
  dev: string;
  /** address/prefix */
  address: string;
  /** The broadcast address, when the address has one (the CNI bridge plugin sets it; `ip addr add` alone does not). */
  broadcast?: string;
}

export interface RouteAdd {
  kind: 'route.add';
  netns: string;
  /** flannel uses `replace` so a restart converges; host-gw's reference uses `add`. */
  verb: 'add' | 'replace';
  dst: string;
  via?: string;
  dev: string;
  onlink?: boolean;
}

/**
 * A blackhole route with the protocol number of the daemon that owns it:
 * felix's for a node's own VXLAN blocks (`proto 80`), as `ip route` shows
 * them on a Calico node. `replace`, so a restart converges.
 */
export interface RouteBlackhole {
  kind: 'route.blackhole';
  netns: string;
  dst: string;
  protocol: number;
}

/** Removes a route netlab did not plan (a repair): what `ip route delete` needs to name it. */
export interface RouteDelete {
  kind: 'route.delete';
  netns: string;
  dst: string;
  type?: string;
  via?: string;
  dev?: string;
  table?: number;
}

/** Turns ARP back on for a link someone turned it off on (a repair; no link netlab makes has it off). */
export interface LinkArpOn {
  kind: 'link.arp.on';
  netns: string;
  name: string;
}

/** Removes a root qdisc netlab did not plan (a repair): the link is left with the kernel's default. */
export interface QdiscDelete {
  kind: 'qdisc.delete';
  netns: string;
  dev: string;
}

export interface NeighReplace {
  kind: 'neigh.replace';
  netns: string;
  address: string;
  lladdr: string;
  dev: string;
}

export interface FdbReplace {
  kind: 'fdb.replace';
  netns: string;
  mac: string;
  dev: string;
  dst: string;
}

export interface SysctlSet {
  kind: 'sysctl.set';
  netns: string;
  key: string;
  value: string;
}

export interface FileWrite {
  kind: 'file.write';
  path: string;
  content: string;
  /** World-readable (a pod's resolv.conf under /etc/netns); otherwise root's alone, in the state directory. */
  public?: true;
}

/** A daemon of the lab that detaches by itself once it serves (dnsmasq, BIRD), started inside a namespace of the lab. */
export interface DaemonStart {
  kind: 'daemon.start';
  netns: string;
  name: 'dnsmasq' | 'bird' | 'nginx';
  argv: string[];
  /**
   * Where the daemon writes its master's PID, for one whose workers outlive a
   * killed master (nginx): alive means that PID is alive, and a start first
   * ends the lab's leftover processes of the program in the namespace.
   */
  pidFile?: string;
}

/**
 * One pod attached to one network by CNI plugins, as a container runtime
 * does it (libcni's AddNetworkList): each plugin run in turn inside the
 * node's namespace with CNI_COMMAND=ADD, its configuration on stdin with
 * the list's name and version and the previous plugin's result, the last
 * result cached for CHECK and DEL.
 */
export interface CniAdd {
  kind: 'cni.add';
  /** The node's namespace: the plugins' "host". */
  netns: string;
  /** The pod, by its lab name (for messages). */
  pod: string;
  /** CNI_NETNS is /run/netns/<podNetns>. */
  podNetns: string;
  containerId: string;
  ifname: string;
  network: string;
  cniVersion: string;
  /** The plugins' configurations as run (flannel's already rendered into its delegate). */
  plugins: Array<Record<string, unknown> & { type: string }>;
  /** What the runtime passes to plugins that declare the capability (portMappings). */
  runtimeConfig: Record<string, unknown>;
  /** CNI_ARGS, as containerd passes them. */
  args: string;
  /** CNI_PATH. */
  cniPath: string[];
  /** Where the result is cached (libcni: /var/lib/cni/results/NETWORK-CONTAINERID-IFNAME). */
  cacheFile: string;
  /** Its place in the lab's ADDs: DEL goes in reverse. */
  order: number;
  /** The address the lab planned for the pod (address/prefix), which the result must hold; none for loopback. */
  expectAddress?: string;
}

/**
 * Brings a node's BGP sessions up (enabling any someone disabled) and waits,
 * within a deadline, until BIRD reports each Established and the kernel holds
 * each route BIRD should have installed.
 */
export interface BgpEstablish {
  kind: 'bgp.establish';
  netns: string;
  node: string;
  /** BIRD's control socket, and its log (for messages). */
  socket: string;
  log: string;
  /** The sessions, by BIRD protocol name (Mesh_192_168_19_2), with the peer each reaches. */
  sessions: Array<{ name: string; peer: string; peerNode: string }>;
  /** Destinations BIRD must have installed in the kernel (`proto bird`): blackholes of the node's blocks, remote blocks. */
  routes: string[];
  /** For an ECMP route: the next hops it must have, all of them (the router's view of MetalLB's BGP). */
  nexthops?: Record<string, string[]>;
  timeoutMs: number;
}

/** The lab's container runtime: serves every pod's ports from inside each pod's namespace. */
export interface ProcessStart {
  kind: 'process.start';
  /** The namespace the process lives in, so `down` finds it by namespace. */
  netns: string;
  name: 'agent';
  config: string;
  /** Where its stderr goes: its errors, for `up` to quote and people to read. */
  log: string;
}

/**
 * MetalLB's L2 speaker on one node (runtime/netlab-speaker.py): elects, with
 * its peers, the node that answers ARP for each LoadBalancer address, and
 * answers it there. Lives in the node's namespace, where `down` finds it.
 */
/**
 * A certificate for `hosts` issued by the lab's own CA (made first if it is
 * not there yet), with openssl: the key and certificate of a TLS secret.
 */
export interface TlsIssue {
  kind: 'tls.issue';
  /** Where openssl runs: a lab namespace, as every program netlab starts. */
  netns: string;
  /** The lab's CA: its key and its certificate, which tests verify against. */
  ca: { key: string; crt: string; name: string };
  key: string;
  crt: string;
  /** The subject's common name and its DNS subjectAltNames. */
  commonName: string;
  hosts: string[];
}

export interface SpeakerStart {
  kind: 'speaker.start';
  netns: string;
  node: string;
  config: string;
  log: string;
}

/** A whole nftables table, loaded in one atomic `nft -f` inside a namespace (kube-proxy's way). */
export interface NftLoad {
  kind: 'nft.load';
  netns: string;
  /** `ip kube-proxy`: what the ruleset replaces, for messages. */
  table: string;
  /** The transaction as data (nft-ruleset.ts renders it). */
  ruleset: NftRuleset;
}

/** Whole iptables tables (filter, nat) in one atomic `iptables-restore` inside a namespace. */
export interface IptablesRestore {
  kind: 'iptables.restore';
  netns: string;
  /** The tables as data (iptables-ruleset.ts renders them). */
  ruleset: IptablesRuleset;
}

export type StageName = 'namespaces' | 'links' | 'addresses' | 'cni' | 'routes' | 'sysctls' | 'services' | 'routing' | 'converge' | 'containers' | 'announce';

/** A wave of operations: those of different namespaces may run at once, those of one run in order. */
export interface Stage {
  name: StageName;
  title: string;
  /**
   * True when an op of this stage may depend on another namespace's op of an
   * earlier stage (a veth's peer, a bridge port made from the node). False
   * when each op depends only on earlier ops of its own namespace, so the
   * stage may run together with the one before it.
   */
  barrier: boolean;
  ops: Op[];
}

/**
 * Where the plan may put the lab's own files. Given by the caller, so the
 * plan stays a pure function of its arguments (no environment variable can
 * change it behind a snapshot's back).
 */
export interface PlanContext {
  /** The lab's private state directory, e.g. /run/netlab/two-node. */
  stateDir: string;
  /** With `network.cni` a conflist: the list, read and validated from its file. */
  conflist?: Conflist;
}

/** Everything `up` does, as data. */
export interface Plan {
  lab: string;
  stages: Stage[];
}

import type { RawTest } from './raw.js';

/** A lab with every default filled in, every address allocated, every name made. */
export interface Lab {
  name: string;
  description: string;
  /** The file it came from, for messages. */
  source: string;
  /** The file's text, kept so a running lab's state can be validated again like any lab file. */
  sourceText: string;
  network: Network;
  fabric: Fabric;
  nodes: Node[];
  pods: Pod[];
  tests: RawTest[];
}

export interface Network {
  podCIDR: string;
  nodeSubnetSize: number;
  serviceCIDR: string;
  underlay: { cidr: string; prefix: number; mtu: number };
  /** MTU of every pod's eth0, its host-side veth and cni0. */
  podMTU: number;
  backend: Backend;
}

/** The cross-node backend; only vxlan has tunnel endpoints. */
export type Backend = VxlanBackend | HostGwBackend;

export interface VxlanBackend {
  kind: 'vxlan';
  vni: number;
  port: number;
  /** `flannel.<VNI>`, as flannel names it. */
  device: string;
  mtu: number;
  vteps: Vtep[];
}

export interface HostGwBackend {
  kind: 'host-gw';
}

/** One node's VXLAN tunnel endpoint (flannel's "backend-data"). */
export interface Vtep {
  node: string;
  mac: string;
  /** The node subnet's network address, held as /32 on flannel.<VNI>. */
  address: string;
}

/** The wire between nodes: a bridge in a namespace of the lab. */
export interface Fabric {
  netns: string;
  bridge: string;
}

export interface Node {
  name: string;
  netns: string;
  /** Underlay address on eth0. */
  address: string;
  mac: string;
  /** The peer of eth0, a port of the fabric bridge. */
  fabricPort: string;
  fabricPortMac: string;
  podSubnet: string;
  podPrefix: number;
  /** First usable address of podSubnet, on cni0. */
  gateway: string;
  bridge: string;
  bridgeMac: string;
}

export interface Pod {
  name: string;
  /** The `pods:` entry this pod came from (differs from name with replicas). */
  template: string;
  node: string;
  netns: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  /** The host-side veth on the node, `veth` + 8 hex, a port of cni0. */
  hostVeth: string;
  hostVethMac: string;
  labels: Record<string, string>;
  containers: Container[];
}

export interface Container {
  name: string;
  listen: Listener[];
}

export type Protocol = 'tcp' | 'udp';

export interface Listener {
  port: number;
  protocol: Protocol;
}

/**
 * The lab file as written (format v1), after the schema has accepted it.
 * Everything optional here gets its default in resolve.ts.
 */
export interface RawLab {
  name: string;
  description?: string;
  network?: RawNetwork;
  nodes: RawNode[];
  pods?: RawPod[];
  tests?: RawTest[];
}

export interface RawNetwork {
  backend?: 'vxlan' | 'host-gw';
  podCIDR?: string;
  nodeSubnetSize?: number;
  serviceCIDR?: string;
  mtu?: number;
  underlay?: { cidr?: string; mtu?: number };
  vxlan?: { vni?: number; port?: number };
}

export interface RawNode {
  name: string;
  address?: string;
  podSubnet?: string;
}

export interface RawPod {
  name: string;
  replicas?: number;
  node?: string;
  ip?: string;
  labels?: Record<string, string>;
  containers?: RawContainer[];
}

export interface RawContainer {
  name: string;
  /** `PORT/tcp` or `PORT/udp`. */
  listen?: string[];
}

export type Expectation = 'reachable' | 'unreachable';

export interface RawPing {
  from: string;
  to: string;
  count?: number;
  size?: number;
  dontFragment?: boolean;
  expect?: Expectation;
}

export interface RawConnect {
  from: string;
  to: string;
  port: number;
  expect?: Expectation;
}

export interface RawAction {
  ping?: RawPing;
  tcp?: RawConnect;
  udp?: RawConnect;
}

export interface RawCapture {
  on: string;
  filter?: string;
  while: RawAction;
  /** Empty the source's neighbour cache first, so ARP shows in the capture. */
  flushNeighbours?: boolean;
  expect?: { min?: number; max?: number; count?: number; match?: string };
}

export interface RawTest extends RawAction {
  name?: string;
  capture?: RawCapture;
  conformance?: Record<string, never>;
}

/** The keys of a test entry that name its kind; exactly one must be present. */
export const TEST_KINDS = ['ping', 'tcp', 'udp', 'capture', 'conformance'] as const;
export type TestKind = (typeof TEST_KINDS)[number];

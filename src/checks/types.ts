import type { Source, Target } from '../lab/endpoints.js';
import type { Expectation } from '../lab/raw.js';

export type { Source, Target };

export interface PingCheck {
  kind: 'ping';
  name: string;
  from: Source;
  to: Target;
  count: number;
  size: number | undefined;
  dontFragment: boolean;
  expect: Expectation;
}

export interface ConnectCheck {
  kind: 'tcp' | 'udp';
  name: string;
  from: Source;
  to: Target;
  port: number;
  expect: Expectation;
  /** A Service (by ClusterIP or NodePort): the pods allowed to answer. */
  answerFrom?: string[];
  /** Keep connecting (bounded) until each of these pods has answered: load balancing proved, not assumed. */
  everyOf?: string[];
  /** sessionAffinity ClientIP: every connection from this client is answered by the pod that answered its first. */
  sticky?: true;
  /** What the answering pod must see as the client: the sender's own address, or anything else (a node's, after SNAT). */
  sourceIP?: 'preserved' | 'masqueraded';
}

export type ActionCheck = PingCheck | ConnectCheck;

/** A name looked up from inside a pod, through its own resolv.conf. */
export interface DnsCheck {
  kind: 'dns';
  name: string;
  from: Source;
  query: string;
  type: 'A' | 'SRV' | 'PTR' | 'TXT';
  /** The answers, in any order, or the name must not exist. */
  expect: string[] | 'nxdomain';
}

export interface CaptureExpect {
  min?: number;
  max?: number;
  count?: number;
  match?: string;
}

export interface CaptureCheck {
  kind: 'capture';
  name: string;
  /** `node1:eth0`, as written. */
  on: string;
  netns: string;
  iface: string;
  filter: string;
  action: ActionCheck;
  /** Empty the action source's neighbour cache before the traffic. */
  flushNeighbours: boolean;
  expect: CaptureExpect;
}

/** One thing a conformance case checks, done by the prober. */
export type Aspect =
  | { kind: 'icmp'; label: string }
  | { kind: 'nat'; label: string; dstNetns: string; expectSeen: string }
  | { kind: 'tcp' | 'udp'; label: string; port: number; expectHostname: string; expectClient?: string; expectContainer?: string }
  | { kind: 'own-ip'; label: string };

/** A generated case of the Kubernetes network model, named by its pair. */
export interface ConformanceCase {
  kind: 'conformance';
  group: 'own-ip' | 'pod-to-pod' | 'node-to-pod' | 'localhost';
  name: string;
  from: Source;
  to: Target;
  aspects: Aspect[];
}

/** One cell of a policy matrix: a connection and what the lab's NetworkPolicies say of it. */
export interface MatrixCell {
  from: Source;
  to: Target;
  port: number;
  protocol: 'tcp' | 'udp';
  allowed: boolean;
  /** The oracle's reason: the policy and rule that allowed it, or the policies that isolate a pod. */
  why: string;
  /** Whether a container of the destination listens on this port and protocol: a closed port says nothing of the policies. */
  served: boolean;
}

/** Every (from, to, port, protocol) probed and compared with the oracle, as upstream's truth table. */
export interface PolicyMatrixCheck {
  kind: 'policyMatrix';
  name: string;
  rows: string[];
  columns: string[];
  cells: MatrixCell[];
}

/** CNI's CHECK of one pod's attachments, with the results cached at ADD: is what the plugins made still there? */
export interface CniCheck {
  kind: 'cni';
  name: string;
  pod: string;
  containerId: string;
}

/** MetalLB L2: the node whose MAC the outside client learns for a LoadBalancer IP. */
export interface AnnouncerCheck {
  kind: 'announcer';
  name: string;
  /** The outside client's namespace and interface. */
  netns: string;
  dev: string;
  address: string;
  node: string;
  /** Every node's eth0 MAC, to name the one that answered. */
  macs: Record<string, string>;
}

/** One HTTP request through a proxy (an Ingress controller), judged by the status and by what the echoing backend received. */
export interface HttpCheck {
  kind: 'http';
  name: string;
  from: Source;
  to: { ip: string; label: string };
  port: number;
  /** TLS with `host` as SNI, the certificate verified against the lab's CA. */
  https?: true;
  method: string;
  path: string;
  host: string | undefined;
  headers: Array<[string, string]>;
  expect: {
    status: number;
    /** The pods allowed to answer (a backend Service's endpoints, or one pod), with what to call them. */
    answerFrom?: { pods: string[]; label: string };
    headers?: Record<string, string>;
    responseHeaders?: Record<string, string>;
    absentHeaders?: string[];
    /** Headers the response must not carry (a ResponseHeaderModifier removed them). */
    absentResponseHeaders?: string[];
    path?: string;
    redirect?: string;
  };
  /** Send again (bounded) until each of these pods has answered: load balancing proved. */
  everyOf?: string[];
  /** HTTPRouteWeight: each backend's share of 500 requests, within 5 points of its weight's. */
  weights?: Array<{ label: string; pods: string[]; weight: number }>;
}

export type Check = PingCheck | ConnectCheck | DnsCheck | PolicyMatrixCheck | CaptureCheck | ConformanceCase | CniCheck | AnnouncerCheck | HttpCheck;

/** What a check left to show for itself. */
export interface Evidence {
  command?: string;
  exitCode?: number;
  output?: string[];
  packets?: string[];
  aspects?: Array<{ label: string; ok: boolean; detail: string }>;
  diagnosis?: string[];
}

export interface TestResult {
  name: string;
  kind: Check['kind'];
  group?: ConformanceCase['group'];
  status: 'passed' | 'failed';
  durationMs: number;
  /** Why it failed, or what it saw when it passed. */
  message: string;
  evidence: Evidence;
}

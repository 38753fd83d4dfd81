import type { LabProblem } from '../errors.js';
import type { CniMode } from './cni.js';
import type { Namespace } from './namespaces.js';
import type { LabelSelector, PolicyPeer, PolicyPort } from './raw.generated.js';
import type { RawTest } from './raw.js';

export type { Namespace };

/** A lab with every default filled in, every address allocated, every name made. */
export interface Lab {
  name: string;
  description: string;
  /** The file it came from, for messages. */
  source: string;
  /** The file's text, kept so a running lab's state can be validated again like any lab file. */
  sourceText: string;
  /** What the file may not mean (a selector that matches nothing): said, not refused. */
  warnings: LabProblem[];
  network: Network;
  fabric: Fabric;
  /**
   * A client outside the cluster, on the node network (a laptop on the nodes'
   * LAN): there when the lab has Services or a test starts from `external`.
   */
  external: External | undefined;
  namespaces: Namespace[];
  /** Cluster DNS: its pods and the kube-dns Service are among `pods` and `services`. */
  dns: ClusterDns | undefined;
  nodes: Node[];
  pods: Pod[];
  services: Service[];
  /** MetalLB's pools and advertisements, when the lab has any. */
  metallb: MetalLB | undefined;
  /** NetworkPolicies, defaulted as the API server does. */
  policies: Policy[];
  /** Ingresses, and ingress-nginx's controller when an IngressClass names it (its pods and Service are among `pods` and `services`). */
  ingress: { controller: IngressController | undefined; ingresses: Ingress[] };
  /** Gateway API: each Gateway as NGINX Gateway Fabric serves it (its nginx pod and Service are among `pods` and `services`), each HTTPRoute's status. */
  gateway: { gateways: GatewayModel[]; routes: RouteStatus[]; secrets: TlsSecret[] };
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
  /** Who wires each pod: netlab itself, the CNI reference plugins, or a conflist of the user's. */
  cni: CniMode;
  /** How kube-proxy programs Services in every node. */
  kubeProxy: { mode: 'nftables' | 'iptables' | 'ipvs' };
}

/** The cross-node backend: flannel's vxlan or host-gw, or Calico's BGP-routed network. */
export type Backend = VxlanBackend | HostGwBackend | CalicoBackend;

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

/**
 * Calico: every node runs BIRD, which announces the node's address blocks to
 * the other nodes over iBGP (a full mesh, or through one route reflector).
 */
export interface CalicoBackend {
  kind: 'calico';
  asNumber: number;
  /** Prefix length of the IPAM blocks nodes take from podCIDR. */
  blockSize: number;
  /** The node that reflects routes to every other, when the lab has one instead of a full mesh. */
  routeReflector: string | undefined;
  encapsulation: CalicoEncapsulation;
}

/**
 * How packets between nodes travel: unencapsulated along BGP routes, in
 * felix's vxlan.calico, or in IP-in-IP through tunl0 (BIRD installs onlink
 * routes). The tunnels' own addresses come from the node's first block, as
 * calico-node takes them.
 */
export type CalicoEncapsulation =
  | { kind: 'none' }
  | { kind: 'vxlan'; device: string; vni: number; port: number; mtu: number; vteps: Vtep[] }
  | { kind: 'ipip'; device: 'tunl0'; mtu: number; tunnels: Array<{ node: string; address: string }> };

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

/** The outside client: its own namespace on the underlay, with an address of the node network. */
export interface External {
  name: 'external';
  netns: string;
  address: string;
  mac: string;
  fabricPort: string;
  fabricPortMac: string;
}

/** A node: its pods hang off a bridge (flannel), or are routed one by one (Calico). */
export type Node = BridgeNode | CalicoNode;

interface NodeBase {
  name: string;
  netns: string;
  /** Underlay address on eth0. */
  address: string;
  mac: string;
  /** The peer of eth0, a port of the fabric bridge. */
  fabricPort: string;
  fabricPortMac: string;
}

/** A flannel node: one pod subnet, whose pods are ports of the CNI bridge cni0. */
export interface BridgeNode extends NodeBase {
  kind: 'bridge';
  podSubnet: string;
  podPrefix: number;
  /** First usable address of podSubnet, on cni0. */
  gateway: string;
  bridge: string;
  bridgeMac: string;
}

/**
 * A Calico node: no bridge and no address of its own in the pod network;
 * each pod has a /32 route to its cali veth, and the node holds the IPAM
 * blocks its pods' addresses came from (none until its first pod).
 */
export interface CalicoNode extends NodeBase {
  kind: 'calico';
  blocks: string[];
}

export interface Pod {
  /** How the lab refers to it: NAME in the default namespace, NAMESPACE/NAME elsewhere. */
  name: string;
  /** Its Kubernetes name and namespace. */
  podName: string;
  namespace: string;
  /** False: it runs, but is no Service's endpoint. */
  ready: boolean;
  /** ClusterFirst: the cluster's DNS in its resolv.conf, as kubelet writes it; Default: the node's. */
  dnsPolicy: 'ClusterFirst' | 'Default';
  /** Set for pods netlab adds itself: cluster DNS's, whose port 53 is served by dnsmasq. */
  system?: 'dns' | 'ingress' | 'gateway';
  /** The `pods:` entry this pod came from (differs from name with replicas). */
  template: string;
  node: string;
  netns: string;
  ip: string;
  /** The node subnet's length with flannel, 32 with Calico. */
  prefix: number;
  /** cni0's address with flannel, 169.254.1.1 (answered by proxy ARP) with Calico. */
  gateway: string;
  mac: string;
  /** The host-side veth on the node: `veth` + 8 hex, a port of cni0 (flannel); `cali` + 11 hex of its name (Calico). */
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
  /** A port of the node that forwards here (the portmap plugin's portMappings). */
  hostPort?: number;
  /** The container port's name, when it has one (a Service's targetPort may name it). */
  name?: string;
}

/** A Service as kube-proxy sees it: its virtual address, ports and the endpoints behind each. */
export interface Service {
  name: string;
  namespace: string;
  /** NAME in the default namespace, NAMESPACE/NAME elsewhere. */
  ref: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** Undefined for a headless service (clusterIP: None), which kube-proxy ignores. */
  clusterIP: string | undefined;
  ports: ServicePort[];
  sessionAffinity: 'None' | 'ClientIP';
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  /** status.loadBalancer.ingress[].ip as MetalLB's controller writes it: what kube-proxy serves. Empty when pending or not a LoadBalancer. */
  loadBalancerIPs: string[];
  /** The pool MetalLB took the address from (its `metallb.io/ip-allocated-from-pool` annotation). */
  addressPool: string | undefined;
  /** spec.externalIPs: served like LoadBalancer addresses, announced by nobody. */
  externalIPs: string[];
  /** The client networks allowed to reach the LoadBalancer addresses; empty: every client. */
  loadBalancerSourceRanges: string[];
  /** Where kube-proxy's health server answers for this Service: LoadBalancer with externalTrafficPolicy Local only. */
  healthCheckNodePort: number | undefined;
}

export interface ServicePort {
  /** The port's name ('' when the service has one unnamed port). */
  name: string;
  protocol: Protocol;
  port: number;
  nodePort: number | undefined;
  /** Ready pods the selector matches that serve the target port, sorted by IP. */
  endpoints: Endpoint[];
}

export interface Endpoint {
  /** The pod's lab name. */
  pod: string;
  node: string;
  ip: string;
  port: number;
}

/** MetalLB as a lab's admin configured it. */
export interface MetalLB {
  pools: AddressPool[];
  l2Advertisements: L2Advertisement[];
  bgpPeers: BgpPeer[];
  bgpAdvertisements: BgpAdvertisement[];
}

/** An IPAddressPool: its addresses in the order given, each entry a first-to-last range (a CIDR or start-end). */
export interface AddressPool {
  name: string;
  ranges: Array<{ text: string; first: string; last: string }>;
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
}

/** An L2Advertisement, its selectors resolved: the pools it announces and the nodes that may announce them. */
export interface L2Advertisement {
  name: string;
  pools: string[];
  nodes: string[];
}

/**
 * A BGPPeer: the router the selected nodes' speakers open a session to. In a
 * lab the only router outside the cluster is the external namespace.
 */
export interface BgpPeer {
  name: string;
  myASN: number;
  peerASN: number;
  /** The router's address as written: an address, or `external` (resolved against the outside client's address). */
  peerAddress: string;
  /** Seconds; 0 turns the hold timer (and keepalives) off. MetalLB's defaults: 90 and a third of it. */
  holdTime: number;
  keepaliveTime: number;
  nodes: string[];
}

/** A BGPAdvertisement, its selectors resolved: what prefix of which pools' addresses goes from which nodes to which peers. */
export interface BgpAdvertisement {
  name: string;
  pools: string[];
  aggregationLength: number;
  /** LOCAL_PREF; 0 when unset, as MetalLB leaves it. Sent on iBGP sessions only. */
  localPref: number;
  /** Standard communities, AA:NN, sorted as MetalLB sorts them. */
  communities: string[];
  nodes: string[];
  peers: string[];
}

/** What one HTTPRoute rule does with a request it matches. */
export type RouteAction =
  | { kind: 'proxy'; backends: Array<{ upstream: string; service: string; weight: number; endpoints: Array<{ pod: string; ip: string; port: number }> }> }
  /** 500: every backendRef invalid (or none), as the spec requires; 503: a valid backend with no ready endpoint. */
  | { kind: 'status'; status: 500 | 503; why: string }
  | { kind: 'redirect'; status: 301 | 302; scheme?: 'http' | 'https'; hostname?: string; port?: number };

/** One match of one rule, as nginx is told to weigh it: everything the spec's precedence reads. */
export interface RouteMatch {
  route: string;
  rule: number;
  match: number;
  /** File order of the route: the spec's "oldest Route" (creationTimestamp) for a lab. */
  age: number;
  path: { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
  method?: string;
  headers: Array<[string, string]>;
  query: Array<[string, string]>;
  /** The matching hostname's characters: non-wildcard first (the spec's first tie-breaker across routes). */
  host: { exact: number; any: number };
  action: RouteAction;
  headerModifier?: HeaderModifier;
  /** ResponseHeaderModifier: what happens to the backend's response headers before nginx answers. */
  responseHeaderModifier?: HeaderModifier;
  /** URLRewrite: the Host and path the backend receives instead of the client's. */
  rewrite?: { hostname?: string; path?: { type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; value: string } };
}

/** A RequestHeaderModifier's or ResponseHeaderModifier's set, add and remove, names as written. */
export interface HeaderModifier {
  set: Array<[string, string]>;
  add: Array<[string, string]>;
  remove: string[];
}

/** A kubernetes.io/tls Secret netlab issues a certificate for, from the lab's CA: `NAMESPACE/NAME` and its DNS names. */
export interface TlsSecret {
  key: string;
  hosts: string[];
}

/** A Gateway as NGF serves it: its listeners, which routes they took, and per port and hostname the matches. */
export interface GatewayModel {
  name: string;
  namespace: string;
  ref: string;
  className: string;
  served: boolean;
  listeners: Array<{
    name: string;
    port: number;
    hostname: string | undefined;
    from: 'Same' | 'All';
    attachedRoutes: number;
    /** HTTPS: the TlsSecret (`NAMESPACE/NAME`) whose certificate nginx serves; absent for HTTP. */
    tls?: string;
  }>;
  /** Per listener port, per hostname (`` for a listener and route without one: the port's default server), its matches; `tls` on an HTTPS port. */
  servers: Array<{ port: number; hostname: string; matches: RouteMatch[]; tls?: string }>;
  service: string;
  pod: { name: string; netns: string; ip: string; node: string } | undefined;
  addresses: string[];
  /** Per listener port, where a client reaches it: the port itself on a LoadBalancer address, else its NodePort. */
  entry: Record<number, number>;
}

/** A route's status as NGF writes it: per parent, Accepted; for the route, ResolvedRefs. */
export interface RouteStatus {
  name: string;
  namespace: string;
  ref: string;
  hostnames: string[];
  parents: Array<{ gateway: string; sectionName?: string; accepted: { status: boolean; reason: string; message: string } }>;
  resolvedRefs: { status: boolean; reason: string; message: string };
}

/** An Ingress as its controller reads it. */
export interface Ingress {
  name: string;
  namespace: string;
  /** NAME in the default namespace, NAMESPACE/NAME elsewhere. */
  ref: string;
  /** Its class: the annotation, else spec.ingressClassName, else the default IngressClass; undefined when none applies. */
  className: string | undefined;
  /** Whether a controller of the lab serves it: one of another class is ignored and gets no address. */
  served: boolean;
  defaultBackend?: IngressBackend;
  rules: Array<{ host: string; paths: Array<{ path: string; pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific'; backend: IngressBackend }> }>;
  /** spec.tls: hosts served over HTTPS with the certificate netlab issues for the secret (by name; one per host when unnamed). */
  tls: Array<{ hosts: string[]; secret: string }>;
  /** ingress-nginx's ssl-redirect: a TLS host's plain HTTP answers 308 to HTTPS (its default), or is served. */
  sslRedirect: boolean;
  /** use-regex: its paths are regular expressions (and its hosts' locations all become regex ones). */
  useRegex: boolean;
  /** rewrite-target: the path the backend receives ($1..$9 from the path's groups); implies regex locations for its hosts. */
  rewriteTarget?: string;
}

/** A backend Service port, with the ready endpoints nginx proxies to. */
export interface IngressBackend {
  service: string;
  port: number;
  /** ingress-nginx's upstream name: NAMESPACE-SERVICE-PORT. */
  upstream: string;
  endpoints: Array<{ pod: string; ip: string; port: number }>;
}

/** ingress-nginx's controller: its pods (one nginx each), its Service, and the address served Ingresses report. */
export interface IngressController {
  /** How its nginx.conf is written: as ingress-nginx does, or naively (a lab that shows the trailing-slash trap). */
  rendering: 'ingress-nginx' | 'naive';
  service: string;
  pods: Array<{ name: string; netns: string; ip: string; node: string }>;
  addresses: string[];
  httpNodePort: number | undefined;
  httpsNodePort: number | undefined;
}

/** The cluster DNS of a lab: where it answers and for which domain. */
export interface ClusterDns {
  domain: string;
  serviceIP: string;
}

/** A NetworkPolicy after the API server's defaulting: which directions it isolates, and its rules. */
export interface Policy {
  name: string;
  namespace: string;
  ref: string;
  podSelector: LabelSelector;
  /** policyTypes, defaulted: Ingress always when omitted; Egress when omitted only if it has egress rules. */
  types: { ingress: boolean; egress: boolean };
  ingress: Array<{ peers: PolicyPeer[] | undefined; ports: PolicyPort[] | undefined }>;
  egress: Array<{ peers: PolicyPeer[] | undefined; ports: PolicyPort[] | undefined }>;
}

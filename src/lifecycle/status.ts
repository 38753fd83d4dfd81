import { bgpAnnouncements } from '../lab/bgp-announcements.js';
import { peerProtocol } from '../plan/metallb-bgp.js';
import { requireRoot } from '../kernel/preflight.js';
import { CALICO_POD_GATEWAY } from '../lab/defaults.js';
import { describeBackend } from '../lab/describe-backend.js';
import { labNamespaces } from '../lab/endpoints.js';
import { podRangesOf } from '../lab/node-pods.js';
import { selects } from '../lab/policies.js';
import { labOfNetns } from '../lab/names.js';
import { listNetlabNetns } from '../kernel/netns.js';
import { isAlive } from '../pid.js';
import type { Lab, Node } from '../lab/types.js';
import { bgpSessions } from '../plan/bird.js';
import { findDrift, type LabDrift } from '../plan/drift.js';
import type { LiveLab, LiveLink, LiveNetns, LiveRoute } from '../plan/live.js';
import { serviceChains } from '../plan/kube-proxy/names.js';
import { place } from '../plan/live-names.js';
import type { Op } from '../plan/ops.js';
import { observeLab, planOf } from './drift.js';
import { watcher } from './watch.js';
import { labsWithState, readState } from '../state/store.js';

/** What `status` reports of one lab: the state file joined with what the kernel has. */
export interface LabStatus {
  name: string;
  status: 'up' | 'building' | 'damaged';
  file?: string;
  backend?: string;
  createdAt?: string;
  nodes: Array<{
    name: string;
    netns: string;
    address: string;
    /** flannel's subnet, or Calico's blocks separated by spaces. */
    podSubnet: string;
    /** The pods' gateway: cni0's address (flannel) or 169.254.1.1, answered by proxy ARP (Calico). */
    gateway: string;
    /** cni0, or none with Calico. */
    bridge?: string;
    mac: string;
    /** Calico: the node's BGP sessions as its BIRD reports them (none when BIRD does not answer). */
    bgp?: Array<{ session: string; peer: string; state: string; established: boolean }>;
    /** The node's routes as the kernel holds them now, in `ip route`'s words (absent when it was not read). */
    routes?: string[];
    /** What flannel would publish on the Node object (VXLAN: the VTEP). */
    annotations: Record<string, string>;
    present: boolean;
  }>;
  pods: Array<{
    name: string;
    node: string;
    netns: string;
    ip: string;
    mac: string;
    hostVeth: string;
    hostVethMac: string;
    /** Live from the kernel: the host veth's ifindex in the node, and its peer's (the pod's eth0) in the pod. */
    hostVethIndex?: number;
    eth0Index?: number;
    present: boolean;
  }>;
  services: Array<{
    name: string;
    type: string;
    clusterIP: string;
    externalIPs?: string[];
    loadBalancer?: { ingress: Array<{ ip: string }>; pool?: string };
    healthCheckNodePort?: number;
    ports: Array<{
      name: string;
      protocol: string;
      port: number;
      nodePort?: number;
      endpoints: string[];
      /** kube-proxy's chains for this port, as `nft list ruleset` or `iptables-save` names them: the service's, then an endpoint's each. */
      chains?: string[];
    }>;
  }>;
  policies: Array<{ name: string; types: string[]; isolates: string[] }>;
  /** Ingresses as `kubectl get ingress` lists them: class, hosts, status.loadBalancer.ingress (none when no controller serves it), ports. */
  ingresses?: Array<{ name: string; class: string; hosts: string[]; address: string[]; ports: string }>;
  /** Gateways as `kubectl get gateway` lists them, with their listeners' attached routes. */
  gateways?: Array<{ name: string; class: string; address: string[]; programmed: boolean; listeners: string[] }>;
  /** HTTPRoutes with the conditions NGF writes: per parent Accepted, and ResolvedRefs. */
  httpRoutes?: Array<{ name: string; hostnames: string[]; parents: string[]; resolvedRefs: string }>;
  /**
   * How the kernel was read: the namespaces read, and those left unread
   * because the lab's watcher vouches nothing changed in them since `up`.
   */
  observed?: { namespacesRead: number; unchanged: number; watcher: string };
  /** Namespaces of the lab that the state does not know. */
  strayNamespaces: string[];
  /** What is wrong, in words; empty when all is well. */
  problems: string[];
  /**
   * The same differences by place, for a picture to colour: `node node1`,
   * `pod pod1`, `fabric`, the device when one is named, and the words.
   */
  drift?: Array<{ where: string; device?: string; what: string }>;
}

/** Every lab netlab knows of, from its state files and from the namespaces on the host. */
export async function labStatuses(only?: string, options: { full?: boolean } = {}): Promise<LabStatus[]> {
  requireRoot("read a lab's state and namespaces");
  const namespaces = await listNetlabNetns(only);
  const labs = new Set<string>(only ? [only] : await labsWithState());
  if (!only) for (const ns of namespaces) labs.add(labOfNetns(ns) ?? '');
  labs.delete('');
  const out: LabStatus[] = [];
  for (const lab of [...labs].sort()) {
    const mine = namespaces.filter((n) => labOfNetns(n) === lab);
    const s = await labStatus(lab, new Set(mine), options.full ?? false);
    if (s) out.push(s);
  }
  return out;
}

async function labStatus(name: string, present: Set<string>, full: boolean): Promise<LabStatus | undefined> {
  // Asked first: the watcher checks what the kernel does not notify while netlab loads and plans.
  const asking = full ? undefined : watcher.ask(name);
  const read = await readState(name);
  if (read.kind !== 'ok') {
    if (read.kind === 'missing' && present.size === 0) return undefined;
    const why = read.kind === 'missing' ? 'no state file' : `state file is damaged: ${read.reason}`;
    return {
      name,
      status: 'damaged',
      nodes: [],
      pods: [],
      services: [],
      policies: [],
      strayNamespaces: [...present].sort(),
      problems: [`${why}; ${present.size} namespaces remain (\`netlab down ${name}\` removes them)`],
    };
  }
  const { state } = read;
  const lab = state.lab;
  const known = new Set(labNamespaces(lab));
  const problems: string[] = [];
  let live: LiveLab | undefined;
  let observed: LabStatus['observed'];
  let drift: LabStatus['drift'];
  if (state.status === 'building') {
    if (!isAlive(state.pid)) problems.push(`the build (pid ${state.pid}) died before it finished (\`netlab up\` rebuilds it)`);
  } else {
    const plan = planOf(state);
    const reading = asking && watcher.reading(state, plan, asking);
    live = await observeLab(state, plan, reading?.read);
    const trust = (await reading?.said) ?? { unchanged: [], watcher: 'not asked: --full' };
    observed = { namespacesRead: Object.keys(live.namespaces).length, unchanged: trust.unchanged.length, watcher: trust.watcher };
    const found = findDrift(plan, live);
    problems.push(...describeDrift(found, lab.name));
    drift = placedDrift(found);
  }
  const backend = lab.network.backend;
  const speakers = bgpAnnouncements(lab);
  const indexes = new Map<string, Map<string, { ifindex: number; peerIndex: number }>>();
  for (const n of lab.nodes) {
    const links = live?.namespaces[n.netns]?.links;
    if (links) indexes.set(n.name, vethIndexes(links));
  }
  return {
    name,
    status: problems.length > 0 ? 'damaged' : state.status,
    file: state.file,
    backend: describeBackend(backend, true),
    createdAt: state.createdAt,
    nodes: lab.nodes.map((n) => ({
      name: n.name,
      netns: n.netns,
      address: n.address,
      podSubnet: podRangesOf(n).join(' '),
      gateway: n.kind === 'bridge' ? n.gateway : CALICO_POD_GATEWAY,
      ...(n.kind === 'bridge' ? { bridge: n.bridge } : {}),
      mac: n.mac,
      ...(backend.kind === 'calico' ? { bgp: bgpSessionsOf(lab, n, live) } : speakers.has(n.name) ? { bgp: speakerSessionsOf(lab, n, live) } : {}),
      ...(live?.namespaces[n.netns] ? { routes: live.namespaces[n.netns]!.routes.map(routeWords) } : {}),
      annotations: flannelAnnotations(backend, n.name, n.address, live?.namespaces[n.netns]),
      present: present.has(n.netns),
    })),
    pods: lab.pods.map((p) => {
      const veth = indexes.get(p.node)?.get(p.hostVeth);
      return {
        name: p.name,
        node: p.node,
        netns: p.netns,
        ip: p.ip,
        mac: p.mac,
        hostVeth: p.hostVeth,
        hostVethMac: p.hostVethMac,
        ...(veth ? { hostVethIndex: veth.ifindex, eth0Index: veth.peerIndex } : {}),
        present: present.has(p.netns),
      };
    }),
    services: lab.services.map((s) => ({
      name: s.ref,
      type: s.type,
      clusterIP: s.clusterIP ?? 'None',
      ...(s.externalIPs.length > 0 ? { externalIPs: s.externalIPs } : {}),
      // status.loadBalancer.ingress as MetalLB's controller writes it, and the pool it took the address from.
      ...(s.type === 'LoadBalancer'
        ? { loadBalancer: { ingress: s.loadBalancerIPs.map((ip) => ({ ip })), ...(s.addressPool ? { pool: s.addressPool } : {}) } }
        : {}),
      ...(s.healthCheckNodePort !== undefined ? { healthCheckNodePort: s.healthCheckNodePort } : {}),
      ports: s.ports.map((p) => ({
        name: p.name,
        protocol: p.protocol,
        port: p.port,
        ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
        endpoints: p.endpoints.map((e) => `${e.ip}:${e.port} (${e.pod})`),
        ...(s.clusterIP !== undefined && p.endpoints.length > 0 ? { chains: serviceChains(lab.network.kubeProxy.mode, s, p) } : {}),
      })),
    })),
    policies: lab.policies.map((p) => ({
      name: p.ref,
      types: [...(p.types.ingress ? ['Ingress'] : []), ...(p.types.egress ? ['Egress'] : [])],
      isolates: lab.pods.filter((pod) => pod.namespace === p.namespace && selects(p.podSelector, pod.labels)).map((pod) => pod.name),
    })),
    ...(lab.ingress.ingresses.length > 0
      ? {
          ingresses: lab.ingress.ingresses.map((i) => ({
            name: i.ref,
            class: i.className ?? '<none>',
            hosts: [...new Set(i.rules.map((r) => r.host || '*'))],
            address: i.served ? (lab.ingress.controller?.addresses ?? []) : [],
            ports:
              lab.ingress.controller?.httpNodePort && (lab.services.find((s) => s.ref === lab.ingress.controller!.service)?.loadBalancerIPs.length ?? 0) === 0
                ? `80 (NodePort ${lab.ingress.controller.httpNodePort})`
                : '80',
          })),
        }
      : {}),
    ...(lab.gateway.gateways.length > 0
      ? {
          gateways: lab.gateway.gateways.map((g) => ({
            name: g.ref,
            class: g.className,
            address: g.served ? g.addresses : [],
            programmed: g.served,
            listeners: g.listeners.map(
              (l) =>
                `${l.name} ${l.port}${l.tls ? ' HTTPS' : ''}${l.hostname ? ` ${l.hostname}` : ''} (${l.attachedRoutes} route${l.attachedRoutes === 1 ? '' : 's'})`,
            ),
          })),
        }
      : {}),
    ...(lab.gateway.routes.length > 0
      ? {
          httpRoutes: lab.gateway.routes.map((r) => ({
            name: r.ref,
            hostnames: r.hostnames.length > 0 ? r.hostnames : ['*'],
            parents: r.parents.map(
              (p) => `${p.gateway}${p.sectionName ? `/${p.sectionName}` : ''}: Accepted ${p.accepted.status ? 'True' : `False (${p.accepted.reason})`}`,
            ),
            resolvedRefs: r.resolvedRefs.status ? 'True' : `False (${r.resolvedRefs.reason}: ${r.resolvedRefs.message})`,
          })),
        }
      : {}),
    ...(observed ? { observed } : {}),
    strayNamespaces: [...present].filter((n) => !known.has(n)).sort(),
    problems,
    ...(drift && drift.length > 0 ? { drift } : {}),
  };
}

/**
 * flannel's per-node annotations (pkg/subnet/kube): backend type, its data,
 * the public IP. The VTEP MAC is read from the live device, as flanneld
 * publishes it: a device that is gone publishes nothing.
 */
function flannelAnnotations(backend: Lab['network']['backend'], node: string, address: string, live: LiveNetns | null | undefined): Record<string, string> {
  const common = { 'flannel.alpha.coreos.com/backend-type': backend.kind, 'flannel.alpha.coreos.com/public-ip': address };
  if (backend.kind !== 'vxlan') return { ...common, 'flannel.alpha.coreos.com/backend-data': 'null' };
  const device = live?.links.find((l) => l.name === backend.device && l.kind === 'vxlan');
  if (!device) return common;
  return { ...common, 'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: backend.vni, VtepMAC: device.mac }) };
}

/** How many differences `status` lists before it only counts them. */
const MAX_DIFFERENCES_SHOWN = 12;

/** The drift in words: what the kernel lacks or holds otherwise, and how to repair it. */
function describeDrift(drift: LabDrift, lab: string): string[] {
  const shown = drift.missing.filter((d) => !d.dependent);
  if (shown.length === 0) return [];
  const lines = shown.slice(0, MAX_DIFFERENCES_SHOWN).map((d) => d.what);
  const hidden = drift.missing.length - Math.min(shown.length, MAX_DIFFERENCES_SHOWN);
  if (hidden > 0) lines.push(`… and ${hidden} more objects that are missing with them or not as planned`);
  lines.push(`\`netlab up\` repairs what differs (\`netlab up --recreate\` rebuilds lab "${lab}" from nothing)`);
  return lines;
}

/** A route as `ip route` prints it: type, destination, gateway, device, onlink, owner, table. */
function routeWords(r: LiveRoute): string {
  const proto = r.protocol === undefined ? '' : ` proto ${r.protocol === 12 ? 'bird' : r.protocol}`;
  return `${r.type ? `${r.type} ` : ''}${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.kernel ? ' proto kernel' : ''}${proto}${r.onlink ? ' onlink' : ''}${r.table !== undefined ? ` table ${r.table}` : ''}`;
}

/** Each difference `status` lists, by the place and device it is about (the words without their place). */
function placedDrift(drift: LabDrift): NonNullable<LabStatus['drift']> {
  return drift.missing
    .filter((d) => !d.dependent && 'netns' in d.op)
    .slice(0, MAX_DIFFERENCES_SHOWN)
    .map((d) => {
      const where = place((d.op as { netns: string }).netns);
      const device = deviceOf(d.op);
      const what = d.what.startsWith(`${where}: `) ? d.what.slice(where.length + 2) : d.what;
      return { where, ...(device ? { device } : {}), what };
    });
}

/** The link an op makes or configures, when it is about one. */
function deviceOf(op: Op): string | undefined {
  if (op.kind.startsWith('link.') && 'name' in op) return op.name;
  if (op.kind === 'addr.add' || op.kind === 'route.add' || op.kind === 'neigh.replace' || op.kind === 'fdb.replace') return op.dev;
  return undefined;
}

/** Each veth of a node: its ifindex and its peer's (what `ip link` prints as `7: vethX@if2`). */
function vethIndexes(links: LiveLink[]): Map<string, { ifindex: number; peerIndex: number }> {
  const out = new Map<string, { ifindex: number; peerIndex: number }>();
  for (const l of links) if (l.kind === 'veth' && l.peerIndex !== undefined) out.set(l.name, { ifindex: l.index, peerIndex: l.peerIndex });
  return out;
}

/** A MetalLB speaker's sessions (one per BGPPeer that selects the node), each with the state its BIRD reports. */
function speakerSessionsOf(lab: Lab, node: Node, live: LiveLab | undefined): NonNullable<LabStatus['nodes'][number]['bgp']> {
  const reported = live?.bgp?.[node.netns];
  return (bgpAnnouncements(lab).get(node.name) ?? []).map((s) => {
    const name = peerProtocol(s.peer.name);
    const found = reported?.find((r) => r.name === name);
    return {
      session: name,
      peer: `router (${lab.external?.address ?? s.peer.peerAddress})`,
      state: found?.state ?? (reported === null ? 'BIRD does not answer' : 'unknown'),
      established: found?.established ?? false,
    };
  });
}

/** A calico node's planned sessions, each with the state its BIRD reports. */
function bgpSessionsOf(lab: Lab, node: Node, live: LiveLab | undefined): NonNullable<LabStatus['nodes'][number]['bgp']> {
  if (lab.network.backend.kind !== 'calico') return [];
  const reported = live?.bgp?.[node.netns];
  return bgpSessions(lab, lab.network.backend, node).map((s) => {
    const found = reported?.find((r) => r.name === s.name);
    return {
      session: s.name,
      peer: `${s.peerNode} (${s.peer})`,
      state: found?.state ?? (reported === null ? 'BIRD does not answer' : 'unknown'),
      established: found?.established ?? false,
    };
  });
}

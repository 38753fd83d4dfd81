import { labOfNetns } from '../lab/names.js';
import { vethIndexes } from '../kernel/inspect.js';
import { listNetlabNetns } from '../kernel/netns.js';
import { isAlive } from '../pid.js';
import type { Lab } from '../lab/types.js';
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
    podSubnet: string;
    gateway: string;
    mac: string;
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
  /** Namespaces of the lab that the state does not know. */
  strayNamespaces: string[];
  /** What is wrong, in words; empty when all is well. */
  problems: string[];
}

/** Every lab netlab knows of, from its state files and from the namespaces on the host. */
export async function labStatuses(only?: string): Promise<LabStatus[]> {
  const namespaces = await listNetlabNetns(only);
  const labs = new Set<string>(only ? [only] : await labsWithState());
  if (!only) for (const ns of namespaces) labs.add(labOfNetns(ns) ?? '');
  labs.delete('');
  const out: LabStatus[] = [];
  for (const lab of [...labs].sort()) {
    const mine = namespaces.filter((n) => labOfNetns(n) === lab);
    const s = await labStatus(lab, new Set(mine));
    if (s) out.push(s);
  }
  return out;
}

async function labStatus(name: string, present: Set<string>): Promise<LabStatus | undefined> {
  const read = await readState(name);
  if (read.kind !== 'ok') {
    if (read.kind === 'missing' && present.size === 0) return undefined;
    const why = read.kind === 'missing' ? 'no state file' : `state file is damaged: ${read.reason}`;
    return {
      name,
      status: 'damaged',
      nodes: [],
      pods: [],
      strayNamespaces: [...present].sort(),
      problems: [`${why}; ${present.size} namespaces remain (\`netlab down ${name}\` removes them)`],
    };
  }
  const { state } = read;
  const lab = state.lab;
  const known = new Set([lab.fabric.netns, ...lab.nodes.map((n) => n.netns), ...lab.pods.map((p) => p.netns)]);
  const problems: string[] = [];
  const missing = [...known].filter((n) => !present.has(n));
  if (missing.length > 0) problems.push(`${missing.length} namespaces are missing, e.g. ${missing[0]} (\`netlab up --recreate\` rebuilds)`);
  if (state.status === 'building' && !isAlive(state.pid)) problems.push(`the build (pid ${state.pid}) died before it finished`);
  if (state.agentPid !== undefined && state.status === 'up' && !isAlive(state.agentPid)) {
    problems.push(`the container runtime (pid ${state.agentPid}) is not running: pod ports are not served`);
  }
  const backend = lab.network.backend;
  const indexes = new Map<string, Map<string, { ifindex: number; peerIndex: number }>>();
  for (const n of lab.nodes) if (present.has(n.netns)) indexes.set(n.name, await vethIndexes(n.netns));
  return {
    name,
    status: problems.length > 0 ? 'damaged' : state.status,
    file: state.file,
    backend: backend.kind === 'vxlan' ? `vxlan (${backend.device}, VNI ${backend.vni}, UDP ${backend.port})` : 'host-gw',
    createdAt: state.createdAt,
    nodes: lab.nodes.map((n) => ({
      name: n.name,
      netns: n.netns,
      address: n.address,
      podSubnet: n.podSubnet,
      gateway: n.gateway,
      mac: n.mac,
      annotations: flannelAnnotations(backend, n.name, n.address),
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
    strayNamespaces: [...present].filter((n) => !known.has(n)).sort(),
    problems,
  };
}

/** flannel's per-node annotations (pkg/subnet/kube): backend type, its data, the public IP. */
function flannelAnnotations(backend: Lab['network']['backend'], node: string, address: string): Record<string, string> {
  const common = { 'flannel.alpha.coreos.com/backend-type': backend.kind, 'flannel.alpha.coreos.com/public-ip': address };
  if (backend.kind !== 'vxlan') return { ...common, 'flannel.alpha.coreos.com/backend-data': 'null' };
  const vtep = backend.vteps.find((v) => v.node === node);
  return { ...common, 'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: backend.vni, VtepMAC: vtep?.mac }) };
}

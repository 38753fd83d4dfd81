import type { Op, Stage, StageName } from './ops.js';

/** What one concern (fabric, nodes, pods, a backend) adds to each stage. */
export type Contribution = Partial<Record<StageName, Op[]>>;

export const STAGES: ReadonlyArray<Omit<Stage, 'ops'>> = [
  { name: 'namespaces', title: 'Create namespaces', barrier: true },
  // Veth peers land in other namespaces: every namespace must exist first.
  { name: 'links', title: 'Create links (veth pairs, bridges, VXLAN)', barrier: true },
  // Nodes' bridges and tunnels must exist first. A pod is wired whole here: its veth made, both ends set
  // and up (one apply helper serves both namespaces of a veth, in plan order).
  { name: 'addresses', title: 'Wire pods, assign addresses and bring links up', barrier: true },
  // The plugins wire a pod from its node's namespace into the pod's: both must exist, the node's links up.
  { name: 'cni', title: 'Wire pods with the CNI plugins (ADD)', barrier: true },
  // Routes, neighbours, FDB entries and sysctls need only their own namespace's links.
  { name: 'routes', title: 'Install routes, neighbours and FDB entries', barrier: false },
  { name: 'sysctls', title: 'Set sysctls', barrier: false },
  // kube-proxy's and flannel's rules need only their own node's namespace.
  { name: 'services', title: "Load kube-proxy's and flannel's rules", barrier: false },
  // BGP sessions run over the underlay: every node's eth0 must have its address first.
  { name: 'routing', title: 'Start BGP daemons (BIRD)', barrier: true },
  // A session needs both ends' daemons: all of them must have started before anyone waits.
  { name: 'converge', title: 'Wait for every BGP session to be Established and every route installed', barrier: true },
  // Pods must be reachable before their ports are served.
  { name: 'containers', title: 'Start containers', barrier: true },
  // Speakers hear each other over the nodes' eth0, and announce only addresses with somewhere to go.
  { name: 'announce', title: "Start MetalLB's speakers (who answers ARP for each LoadBalancer IP)", barrier: true },
];

/** Concatenates contributions stage by stage, in the order given; empty stages are dropped. */
export function mergeContributions(parts: Contribution[]): Stage[] {
  return STAGES.map((stage) => ({ ...stage, ops: parts.flatMap((p) => p[stage.name] ?? []) })).filter((s) => s.ops.length > 0);
}

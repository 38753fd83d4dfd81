import type { Source } from '../lab/endpoints.js';
import type { Lab, Node, Pod } from '../lab/types.js';
import type { ConformanceCase, MatrixCell } from './types.js';

/** Traffic from a source to a pod, as far as the neighbour tables care: a conformance case, a matrix cell. */
export interface Flow {
  from: Source;
  /** The pod it reaches on the wire; none when it never leaves the source (localhost, own IP). */
  toPod: string | undefined;
  /** Other pods it may reach instead (a Service's endpoints): their entries count too. */
  orTo?: string[];
}

export function caseFlow(c: ConformanceCase): Flow {
  return { from: c.from, toPod: c.group === 'localhost' || c.group === 'own-ip' ? undefined : c.to.pod };
}

export function cellFlow(c: MatrixCell): Flow {
  return { from: c.from, toPod: c.to.pod };
}

/**
 * Every namespace shares the kernel's one neighbour (ARP) table, whose size
 * net.ipv4.neigh.default.gc_thresh3 exists only in the host's namespace
 * (netlab never changes it). A real node has a table of its own; in a lab,
 * all "nodes" and pods fill one. Past the limit the kernel drops new entries
 * ("neighbor table overflow") and packets stop.
 *
 * The dynamic entries a full conformance mesh makes at once: each pod learns
 * its same-node peers and its gateway; each peer it ARPs learns it back;
 * each node learns its pods on cni0 and the other nodes on eth0. Pure.
 */
export function meshNeighbourEstimate(lab: Lab): number {
  const perNode = new Map<string, number>();
  for (const p of lab.pods) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
  let entries = 0;
  for (const k of perNode.values()) entries += k * (k - 1) + 2 * k;
  return entries + lab.nodes.length * (lab.nodes.length - 1);
}

/**
 * The dynamic neighbour entries one flow (a conformance case, a matrix cell) makes, as
 * "NAMESPACE>ADDRESS": a pod to a pod of its node learns it and is learned
 * back; across nodes each pod learns its gateway and each node its own pod
 * (and, without a tunnel, the other node); a node reaching its pod learns it
 * and is learned back as the gateway. Over-counting is safe: it only makes
 * more, smaller rounds.
 */
export function neighbourEntries(lab: Lab, c: Flow, pods: Map<string, Pod>, nodes: Map<string, Node>): string[] {
  const targets = c.orTo ? [c.toPod, ...c.orTo] : [c.toPod];
  return targets.flatMap((t) => entriesTo(c.from, t ? pods.get(t) : undefined, pods, nodes));
}

function entriesTo(fromSource: Flow['from'], to: Pod | undefined, pods: Map<string, Pod>, nodes: Map<string, Node>): string[] {
  if (!to) return [];
  if (fromSource.kind === 'node') return [`${fromSource.netns}>${to.ip}`, `${to.netns}>${to.gateway}`];
  const from = pods.get(fromSource.name);
  // From outside the pods (external): the nodes' side of the path is counted; the source's own cache is one entry.
  if (!from) {
    const b = nodes.get(to.node)!;
    return [`${fromSource.netns}>${b.address}`, `${b.netns}>${to.ip}`, `${to.netns}>${to.gateway}`];
  }
  if (from.node === to.node) return [`${from.netns}>${to.ip}`, `${to.netns}>${from.ip}`];
  const a = nodes.get(from.node)!;
  const b = nodes.get(to.node)!;
  return [
    `${from.netns}>${from.gateway}`,
    `${a.netns}>${from.ip}`,
    `${b.netns}>${to.ip}`,
    `${to.netns}>${to.gateway}`,
    `${a.netns}>${b.address}`,
    `${b.netns}>${a.address}`,
  ];
}

/** A connection test: to a pod, or to any of a Service's endpoints. */
export function connectFlow(c: { from: Flow['from']; to: { pod?: string }; answerFrom?: string[] }): Flow {
  return { from: c.from, toPod: c.to.pod, ...(c.answerFrom ? { orTo: c.answerFrom } : {}) };
}

/**
 * Rounds of flows whose neighbour entries, all at once, stay within the
 * budget (half the kernel's limit: the lab's own traffic and the nodes'
 * tunnels need room too). Each round names the namespaces whose caches must
 * be emptied before the next. Greedy, in the cases' order; linear in cases.
 */
export function neighbourRounds(lab: Lab, cases: Flow[], budget: number): Array<{ cases: number[]; namespaces: string[] }> {
  const pods = new Map(lab.pods.map((p) => [p.name, p]));
  const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
  const rounds: Array<{ cases: number[]; namespaces: string[] }> = [];
  let current: number[] = [];
  let entries = new Set<string>();
  const close = () => {
    if (current.length === 0) return;
    rounds.push({ cases: current, namespaces: [...new Set([...entries].map((e) => e.slice(0, e.indexOf('>'))))] });
    current = [];
    entries = new Set();
  };
  cases.forEach((c, i) => {
    const all = neighbourEntries(lab, c, pods, nodes);
    // A new round starts empty: the case brings all its entries into it, not only those the last round lacked.
    if (entries.size + all.filter((e) => !entries.has(e)).length > budget) close();
    for (const e of all) entries.add(e);
    current.push(i);
  });
  close();
  return rounds;
}

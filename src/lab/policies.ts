import { containsAddress, containsCidr, parseCidr } from './cidr.js';
import { DEFAULT_NAMESPACE, podRef } from './namespaces.js';
import type { LabelSelector, Policy as RawPolicy, PolicyPeer, PolicyPort } from './raw.generated.js';
import type { RawLab } from './raw.js';
import { problem, type RuleProblem } from './rules/problem.js';
import { namedPort } from './services.js';
import type { Namespace, Pod, Policy, Protocol } from './types.js';

export type { Policy };

export function resolvePolicies(raw: RawLab): Policy[] {
  return (raw.policies ?? []).map((p) => {
    const namespace = p.namespace ?? DEFAULT_NAMESPACE;
    const types = p.spec.policyTypes;
    return {
      name: p.name,
      namespace,
      ref: podRef(namespace, p.name),
      podSelector: p.spec.podSelector,
      types: { ingress: types ? types.includes('Ingress') : true, egress: types ? types.includes('Egress') : (p.spec.egress ?? []).length > 0 },
      ingress: (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
      egress: (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })),
    };
  });
}

/**
 * What the API server refuses in a NetworkPolicy: a name twice in a namespace,
 * endPort without a numeric port or below it, an ipBlock with a selector or an
 * except outside its cidr, In/NotIn without values or Exists/DoesNotExist with
 * some, a policy type twice. A named port no container has is fine: it
 * matches nothing.
 */
export function checkPolicies(raw: RawLab): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Map<string, number>();
  (raw.policies ?? []).forEach((p: RawPolicy, i) => {
    const at = ['policies', i];
    const key = `${p.namespace ?? DEFAULT_NAMESPACE}/${p.name}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(problem([...at, 'name'], `policy "${key}" is already defined at policies[${first}]`));
    else seen.set(key, i);
    const types = p.spec.policyTypes ?? [];
    if (new Set(types).size !== types.length) problems.push(problem([...at, 'spec', 'policyTypes'], 'names a policy type twice'));
    problems.push(...checkSelector(p.spec.podSelector, [...at, 'spec', 'podSelector']));
    for (const dir of ['ingress', 'egress'] as const) {
      (p.spec[dir] ?? []).forEach((rule, r) => {
        const peersKey = dir === 'ingress' ? 'from' : 'to';
        (rule[peersKey] ?? []).forEach((peer, j) => problems.push(...checkPeer(peer, [...at, 'spec', dir, r, peersKey, j])));
        (rule.ports ?? []).forEach((port, j) => problems.push(...checkPort(port, [...at, 'spec', dir, r, 'ports', j])));
      });
    }
  });
  return problems;
}

function checkSelector(s: LabelSelector | undefined, path: Array<string | number>): RuleProblem[] {
  return (s?.matchExpressions ?? []).flatMap((e, i) => {
    const needs = e.operator === 'In' || e.operator === 'NotIn';
    const has = (e.values ?? []).length > 0;
    if (needs && !has) return [problem([...path, 'matchExpressions', i, 'values'], `operator ${e.operator} needs values`)];
    if (!needs && has) return [problem([...path, 'matchExpressions', i, 'values'], `operator ${e.operator} takes no values`)];
    return [];
  });
}

function checkPeer(peer: PolicyPeer, path: Array<string | number>): RuleProblem[] {
  const problems = [...checkSelector(peer.podSelector, [...path, 'podSelector']), ...checkSelector(peer.namespaceSelector, [...path, 'namespaceSelector'])];
  if (peer.ipBlock) {
    if (peer.podSelector || peer.namespaceSelector)
      problems.push(problem([...path, 'ipBlock'], 'an ipBlock stands alone in its peer', 'give the selectors a peer of their own'));
    const cidr = parseCidr(peer.ipBlock.cidr);
    (peer.ipBlock.except ?? []).forEach((e, i) => {
      if (!containsCidr(cidr, parseCidr(e)))
        problems.push(problem([...path, 'ipBlock', 'except', i], `${e} is not inside ${cidr.text}`, 'except carves out of the cidr'));
    });
  }
  return problems;
}

function checkPort(port: PolicyPort, path: Array<string | number>): RuleProblem[] {
  if (port.endPort === undefined) return [];
  if (typeof port.port !== 'number') return [problem([...path, 'endPort'], 'endPort needs a numeric port to start from', 'ranges of named ports do not exist')];
  if (port.endPort < port.port) return [problem([...path, 'endPort'], `endPort ${port.endPort} is below port ${port.port}`)];
  return [];
}

/** A label selector against labels (Kubernetes semantics; {} matches everything). */
export function selects(s: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!s) return true;
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

/** One end of a connection as policies see it: a pod of the lab, or an address outside every pod (a node, external). */
export type Endpoint = { pod: Pod } | { ip: string };

/** Whether one direction let the connection through, and why. */
export type Decision = { isolated: false } | { isolated: true; policies: string[]; allowedBy?: { policy: string; rule: number } };

export interface PolicyVerdict {
  allowed: boolean;
  egress: Decision;
  ingress: Decision;
}

/**
 * The oracle: from the lab alone (never the kernel's rules), whether a new
 * connection from → to on port/protocol is allowed. A pod is isolated for a
 * direction only when a policy of its namespace selects it with that type;
 * then some rule of those policies must allow the peer and the port. Both
 * the sender's egress and the receiver's ingress must allow it.
 */
export function policyVerdict(
  policies: Policy[],
  namespaces: Namespace[],
  from: Endpoint,
  to: Endpoint,
  port: number | undefined,
  protocol: Protocol | 'icmp',
): PolicyVerdict {
  const nsLabels = new Map(namespaces.map((n) => [n.name, n.labels]));
  const egress = 'pod' in from ? decide(policies, from.pod, 'egress', to, port, protocol, nsLabels) : { isolated: false as const };
  const ingress = 'pod' in to ? decide(policies, to.pod, 'ingress', from, port, protocol, nsLabels) : { isolated: false as const };
  const ok = (d: Decision) => !d.isolated || d.allowedBy !== undefined;
  return { allowed: ok(egress) && ok(ingress), egress, ingress };
}

function decide(
  policies: Policy[],
  pod: Pod,
  dir: 'ingress' | 'egress',
  peer: Endpoint,
  port: number | undefined,
  protocol: Protocol | 'icmp',
  nsLabels: Map<string, Record<string, string>>,
): Decision {
  const applying = policies.filter((p) => p.namespace === pod.namespace && p.types[dir] && selects(p.podSelector, pod.labels));
  if (applying.length === 0) return { isolated: false };
  // A named port is the number on the receiving pod: the isolated pod for ingress, the peer for egress.
  const receiver = dir === 'ingress' ? pod : 'pod' in peer ? peer.pod : undefined;
  for (const p of applying) {
    for (const [i, rule] of p[dir].entries()) {
      const peerOk = rule.peers === undefined || rule.peers.length === 0 || rule.peers.some((x) => peerMatches(x, p.namespace, peer, nsLabels));
      const portOk = rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((x) => portMatches(x, port, protocol, receiver));
      if (peerOk && portOk) return { isolated: true, policies: applying.map((a) => a.ref), allowedBy: { policy: p.ref, rule: i } };
    }
  }
  return { isolated: true, policies: applying.map((a) => a.ref) };
}

function peerMatches(peer: PolicyPeer, policyNamespace: string, who: Endpoint, nsLabels: Map<string, Record<string, string>>): boolean {
  const ip = 'pod' in who ? who.pod.ip : who.ip;
  if (peer.ipBlock) {
    const inside = containsAddress(parseCidr(peer.ipBlock.cidr), ip);
    return inside && !(peer.ipBlock.except ?? []).some((e) => containsAddress(parseCidr(e), ip));
  }
  if (!('pod' in who)) return false;
  const pod = who.pod;
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels.get(pod.namespace) ?? {}) : pod.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, pod.labels) : true;
  return nsOk && podOk;
}

function portMatches(p: PolicyPort, port: number | undefined, protocol: Protocol | 'icmp', receiver: Pod | undefined): boolean {
  if (protocol === 'icmp') return false; // a rule with ports only ever allows TCP/UDP/SCTP
  if ((p.protocol === 'UDP' ? 'udp' : 'tcp') !== protocol) return false;
  if (p.port === undefined) return true;
  if (port === undefined) return false;
  if (typeof p.port === 'number') return port >= p.port && port <= (p.endPort ?? p.port);
  return receiver !== undefined && namedPort(receiver, p.port, protocol) === port;
}

/** The oracle's verdict in words: which policy and rule allowed it, or which isolate the pod that refuses it. */
export function explainVerdict(v: PolicyVerdict): string {
  const say = (dir: 'egress' | 'ingress', d: Decision) =>
    !d.isolated
      ? `${dir}: not isolated`
      : d.allowedBy
        ? `${dir}: allowed by ${d.allowedBy.policy} ${dir}[${d.allowedBy.rule}]`
        : `${dir}: isolated by ${d.policies.join(', ')} and no rule allows it`;
  return `${say('egress', v.egress)}; ${say('ingress', v.ingress)}`;
}

import { MAX_KUBE_PROXY_CHAINS, MAX_MATRIX_CELLS, MAX_POLICY_ADDRESSES } from '../limits.js';
import { DEFAULT_NAMESPACE, namespacesOf } from '../namespaces.js';
import type { DocPath } from '../path.js';
import { selects } from '../policies.js';
import type { RawLab, RawPod } from '../raw.js';
import type { PodInstance } from '../settings.js';
import { problem, type RuleProblem } from './problem.js';

/**
 * What a lab will cost to plan and test, counted from the file and its pods
 * before any of it is built: a 924-byte policy lab once planned for 17 s
 * and 1.9 GB before V8 gave up, 100 Services × 64 ports over 1,000 pods for
 * 115 s and 4.4 GB. Each figure is held to its limit (limits.ts, README
 * "Limits"); past one, the entry that crosses it is named with the figure.
 */
export function checkCosts(raw: RawLab, pods: PodInstance[], systemPods?: RawPod): RuleProblem[] {
  return [
    ...kubeProxyCost(raw, pods),
    ...policyCost(raw, pods),
    ...matrixCost(
      raw,
      pods.filter((p) => p.raw !== systemPods),
    ),
  ];
}

/** Pods of a namespace whose labels carry the selector, counted once per selector text. */
function counter(pods: PodInstance[]): (namespace: string, selector: Record<string, string>) => number {
  const memo = new Map<string, number>();
  return (namespace, selector) => {
    const key = `${namespace}\u0000${JSON.stringify(Object.entries(selector).sort())}`;
    let n = memo.get(key);
    if (n === undefined) {
      n = pods.filter((p) => p.namespace === namespace && Object.entries(selector).every(([k, v]) => p.raw.labels?.[k] === v)).length;
      memo.set(key, n);
    }
    return n;
  };
}

function kubeProxyCost(raw: RawLab, pods: PodInstance[]): RuleProblem[] {
  const nodes = raw.nodes.length;
  const selected = counter(pods);
  let total = 0;
  for (const [i, svc] of (raw.services ?? []).entries()) {
    const endpoints = svc.selector && Object.keys(svc.selector).length > 0 ? selected(svc.namespace ?? DEFAULT_NAMESPACE, svc.selector) : 0;
    total += svc.ports.length * (1 + endpoints) * nodes;
    if (total > MAX_KUBE_PROXY_CHAINS)
      return [
        tooMuch(
          ['services', i],
          'kube-proxy chains',
          total,
          MAX_KUBE_PROXY_CHAINS,
          '(Service ports + their endpoints) × nodes',
          'fewer ports, endpoints or nodes',
        ),
      ];
  }
  return [];
}

function policyCost(raw: RawLab, pods: PodInstance[]): RuleProblem[] {
  const labels = new Map(namespacesOf(raw).map((n) => [n.name, n.labels]));
  let total = 0;
  for (const [i, policy] of (raw.policies ?? []).entries()) {
    const namespace = policy.namespace ?? DEFAULT_NAMESPACE;
    const inNamespace = pods.filter((p) => p.namespace === namespace);
    const targets = inNamespace.filter((p) => selects(policy.spec.podSelector, p.raw.labels ?? {})).length;
    const rules = [
      ...(policy.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
      ...(policy.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })),
    ];
    let perTarget = 0;
    for (const rule of rules) {
      const addresses = (rule.peers ?? []).reduce((sum, peer) => {
        if (peer.ipBlock) return sum + 1;
        const from = peer.namespaceSelector ? pods.filter((p) => selects(peer.namespaceSelector, labels.get(p.namespace) ?? {})) : inNamespace;
        return sum + (peer.podSelector ? from.filter((p) => selects(peer.podSelector, p.raw.labels ?? {})).length : from.length);
      }, 0);
      perTarget += Math.max(1, addresses) * Math.max(1, rule.ports?.length ?? 0);
    }
    total += targets * perTarget;
    if (total > MAX_POLICY_ADDRESSES)
      return [
        tooMuch(
          ['policies', i],
          'addresses in NetworkPolicy statements',
          total,
          MAX_POLICY_ADDRESSES,
          'for each pod a policy selects, every peer address of every rule, times its ports',
          'narrower selectors or fewer pods',
        ),
      ];
  }
  return [];
}

function matrixCost(raw: RawLab, pods: PodInstance[]): RuleProblem[] {
  const everyPod = pods.length;
  let total = 0;
  for (const [i, test] of (raw.tests ?? []).entries()) {
    const m = test.policyMatrix;
    if (!m) continue;
    const rows = m.from?.length ?? everyPod;
    const columns = m.to?.length ?? everyPod;
    total += rows * columns * (m.ports?.length ?? 2) * (m.protocols?.length ?? 1);
    if (total > MAX_MATRIX_CELLS)
      return [
        tooMuch(
          ['tests', i, 'policyMatrix'],
          'policy matrix cells',
          total,
          MAX_MATRIX_CELLS,
          'from × to × ports × protocols, every matrix together',
          'name from and to, or fewer ports',
        ),
      ];
  }
  return [];
}

function tooMuch(path: DocPath, what: string, figure: number, limit: number, how: string, hint: string): RuleProblem {
  return problem(
    path,
    `the lab needs ${figure.toLocaleString('en-US')} ${what} by here, more than netlab plans (${limit.toLocaleString('en-US')}): ${how}`,
    hint,
  );
}

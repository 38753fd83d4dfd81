import type { Lab, Pod } from '../lab/types.js';
import { nodeAddressTowardPods } from '../lab/node-pods.js';
import type { Aspect, ConformanceCase } from './types.js';

/**
 * The Kubernetes network model as checks, generated from the topology
 * (kubernetes.io "Cluster Networking"; e2e "Granular Checks: Pods"):
 * - every pod holds its own cluster-wide IP on eth0;
 * - every pod reaches every other pod, on its node and on others, and the
 *   receiver sees the sender's own address (no NAT);
 * - every listening port answers with its pod's name over tcp and udp;
 * - every node reaches every pod on it;
 * - containers of one pod reach each other on 127.0.0.1.
 * One case per pod, pair or node-pod pair, named by it. Pure.
 */
export function conformanceCases(lab: Lab, options: { sample?: number } = {}): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const pod of lab.pods) {
    cases.push({
      kind: 'conformance',
      group: 'own-ip',
      name: `conformance: ${pod.name} holds its own IP ${pod.ip} on eth0`,
      from: { kind: 'pod', name: pod.name, netns: pod.netns, ip: pod.ip },
      to: { ip: pod.ip, label: pod.name, pod: pod.name },
      aspects: [{ kind: 'own-ip', label: `${pod.ip} on eth0` }],
    });
  }
  const peers = options.sample === undefined ? (a: number) => lab.pods.filter((_, j) => j !== a) : samplePeers(lab.pods, options.sample);
  for (const [i, a] of lab.pods.entries()) {
    for (const b of peers(i)) {
      const where = a.node === b.node ? `same node ${a.node}` : `${a.node} → ${b.node}`;
      cases.push({
        kind: 'conformance',
        group: 'pod-to-pod',
        name: `conformance: pod ${a.name} → pod ${b.name} (${where})`,
        from: { kind: 'pod', name: a.name, netns: a.netns, ip: a.ip },
        to: { ip: b.ip, label: b.name, pod: b.name },
        aspects: [
          { kind: 'icmp', label: 'ping' },
          { kind: 'nat', label: `${b.name} sees ${a.ip} (no NAT)`, dstNetns: b.netns, expectSeen: a.ip },
          ...listenerAspects(b, a.ip),
        ],
      });
    }
  }
  for (const node of lab.nodes) {
    for (const pod of lab.pods.filter((p) => p.node === node.name)) {
      cases.push({
        kind: 'conformance',
        group: 'node-to-pod',
        name: `conformance: node ${node.name} → pod ${pod.name}`,
        from: { kind: 'node', name: node.name, netns: node.netns, ip: nodeAddressTowardPods(node) },
        to: { ip: pod.ip, label: pod.name, pod: pod.name },
        aspects: [{ kind: 'icmp', label: 'ping' }, ...listenerAspects(pod, undefined)],
      });
    }
  }
  for (const pod of lab.pods) {
    const local = listenerAspects(pod, '127.0.0.1', true);
    if (local.length === 0) continue;
    cases.push({
      kind: 'conformance',
      group: 'localhost',
      name: `conformance: containers of ${pod.name} reach each other on 127.0.0.1`,
      from: { kind: 'pod', name: pod.name, netns: pod.netns, ip: pod.ip },
      to: { ip: '127.0.0.1', label: '127.0.0.1', pod: pod.name },
      aspects: local,
    });
  }
  return cases;
}

function listenerAspects(pod: Pod, client: string | undefined, byContainer = false): Aspect[] {
  // Cluster DNS's pods serve DNS on their port, not netexec's verbs.
  if (pod.system !== undefined) return [];
  return pod.containers.flatMap((c) =>
    c.listen.map((l) => ({
      kind: l.protocol,
      label: `${l.port}/${l.protocol} answers ${byContainer ? `container ${c.name}` : pod.name}`,
      port: l.port,
      expectHostname: pod.name,
      ...(client ? { expectClient: client } : {}),
      ...(byContainer ? { expectContainer: c.name } : {}),
    })),
  );
}

/**
 * A full mesh of n pods is n(n-1) cases: 10^8 at 10,000 pods. A sample gives
 * each pod k peers instead: the next pod on its own node and the next on
 * another node (in the lab's order, wrapping), then pods drawn by a
 * generator seeded with the pod's name, so the same lab always samples the
 * same pairs. Linear in pods.
 */
export function samplePeers(pods: Pod[], k: number): (index: number) => Pod[] {
  const n = pods.length;
  const byNode = new Map<string, number[]>();
  pods.forEach((p, i) => byNode.set(p.node, [...(byNode.get(p.node) ?? []), i]));
  return (i) => {
    const a = pods[i]!;
    const chosen = new Set<number>();
    const mates = byNode.get(a.node)!;
    if (mates.length > 1 && chosen.size < k) chosen.add(mates[(mates.indexOf(i) + 1) % mates.length]!);
    for (let step = 1; step < n && chosen.size < k; step++) {
      const j = (i + step) % n;
      if (pods[j]!.node !== a.node) {
        chosen.add(j);
        break;
      }
    }
    let state = seedOf(a.name);
    for (let tries = 0; chosen.size < Math.min(k, n - 1) && tries < 20 * k; tries++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const j = state % n;
      if (j !== i) chosen.add(j);
    }
    return [...chosen].map((j) => pods[j]!);
  };
}

/** FNV-1a of a name: a generator's seed that depends on nothing else. */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let c = 0; c < name.length; c++) h = Math.imul(h ^ name.charCodeAt(c), 0x01000193) >>> 0;
  return h;
}

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
export function conformanceCases(lab: Lab): ConformanceCase[] {
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
  for (const a of lab.pods) {
    for (const b of lab.pods) {
      if (a === b) continue;
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

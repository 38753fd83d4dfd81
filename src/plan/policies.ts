import { selects, type Policy } from '../lab/policies.js';
import type { Lab, Node, Pod } from '../lab/types.js';
import type { PolicyPeer, PolicyPort } from '../lab/raw.generated.js';
import type { Contribution } from './contribution.js';
import type { NftLoad } from './ops.js';
import { nftCommands, replacing, type NftCommand, type NftRuleset } from './nft-ruleset.js';
import { namedPort } from '../lab/services.js';

/** netlab's own table for NetworkPolicy in every node. */
export const POLICY_TABLE = 'ip netlab-policy';
const T = POLICY_TABLE;
const nft = nftCommands;

/**
 * NetworkPolicy in the kernel, the way the policy implementations do it
 * (kube-router's per-pod chains, in nftables): a table of netlab's own in
 * every node, hooked to forward after kube-proxy's DNAT (so a policy sees the
 * endpoint, as real ones do), stateful (replies of an allowed connection
 * pass), egress checked on the sender's node and ingress on the receiver's,
 * bridged same-node traffic included (bridge netfilter). A pod no policy
 * selects has no chain: untouched. Traffic a node sends itself (kubelet
 * probes, a node's own tests) is not filtered, as most implementations do.
 */
export function planPolicies(lab: Lab): Contribution[] {
  if (lab.policies.length === 0) return [];
  return lab.nodes.map((node) => ({ services: [{ kind: 'nft.load' as const, netns: node.netns, table: T, ruleset: policyRuleset(lab, node) }] }));
}

/**
 * What replaces every node's policy table when the file's policies change
 * under a running lab: the new table whole, or, when no policy is left, its
 * removal (`add` first, so the delete never fails).
 */
export function policyReloads(lab: Lab): NftLoad[] {
  return lab.nodes.map((node) => ({
    kind: 'nft.load',
    netns: node.netns,
    table: T,
    ruleset: lab.policies.length > 0 ? policyRuleset(lab, node) : { table: T, commands: [nft.addTable(), nft.deleteTable()] },
  }));
}

export function policyRuleset(lab: Lab, node: Node): NftRuleset {
  const commands: NftCommand[] = [
    nft.addTable('comment "NetworkPolicy, as netlab enforces it"'),
    nft.chain('forward', 'type filter hook forward priority 10 ; comment "after kube-proxy\'s DNAT and filter chains"'),
    nft.chain('egress'),
    nft.chain('ingress'),
    nft.rule('forward', 'ct state established,related accept'),
    nft.rule('forward', 'jump egress'),
    nft.rule('forward', 'jump ingress'),
  ];
  for (const pod of lab.pods.filter((p) => p.node === node.name)) {
    for (const dir of ['egress', 'ingress'] as const) {
      const applying = lab.policies.filter((p) => p.namespace === pod.namespace && p.types[dir] && selects(p.podSelector, pod.labels));
      if (applying.length === 0) continue;
      const chain = `${dir}-${pod.name}`;
      const self = dir === 'egress' ? 'saddr' : 'daddr';
      commands.push(nft.chain(chain), nft.rule(dir, `ip ${self} ${pod.ip} jump ${chain}`));
      for (const policy of applying) {
        policy[dir].forEach((rule, i) => {
          for (const stmt of ruleStatements(lab, pod, dir, rule.peers, rule.ports))
            commands.push(nft.rule(chain, `${stmt} return comment "${policy.ref} ${dir}[${i}]"`));
        });
      }
      commands.push(nft.rule(chain, `drop comment "${pod.name} is isolated for ${dir} by ${applying.map((p) => p.ref).join(', ')}"`));
    }
  }
  return replacing(T, commands, "Replaces netlab's NetworkPolicy table in one transaction (add first, so the delete never fails).");
}

/** A peer as a match: its text, and the pods it names (none for an ipBlock or no peers: then every pod may receive). */
interface PeerMatch {
  text: string;
  pods?: Pod[];
}

/** The match of one rule: its peers (as addresses) and its ports; a named port is looked up on the receiving pod. */
function ruleStatements(lab: Lab, pod: Pod, dir: 'ingress' | 'egress', peers: PolicyPeer[] | undefined, ports: PolicyPort[] | undefined): string[] {
  const peerField = dir === 'egress' ? 'daddr' : 'saddr';
  const peerMatches: PeerMatch[] =
    peers === undefined || peers.length === 0 ? [{ text: '' }] : peers.flatMap((p) => peerMatch(lab, pod.namespace, p, peerField));
  if (ports === undefined || ports.length === 0) return peerMatches.map((m) => m.text.trim());
  const out: string[] = [];
  for (const m of peerMatches) {
    for (const port of ports) {
      const proto = port.protocol === 'UDP' ? 'udp' : 'tcp';
      if (port.port === undefined) out.push(`${m.text} meta l4proto ${proto}`.trim());
      else if (typeof port.port === 'number')
        out.push(`${m.text} ${proto} dport ${port.endPort !== undefined ? `${port.port}-${port.endPort}` : port.port}`.trim());
      else {
        // Named: the number on the receiver; for egress each peer pod may number it differently.
        const receivers = dir === 'ingress' ? [pod] : (m.pods ?? lab.pods);
        for (const r of receivers) {
          const n = namedPort(r, port.port, proto);
          if (n !== undefined) out.push(`${dir === 'egress' ? `ip daddr ${r.ip}` : m.text} ${proto} dport ${n}`.trim());
        }
      }
    }
  }
  return out;
}

function peerMatch(lab: Lab, policyNamespace: string, peer: PolicyPeer, field: 'saddr' | 'daddr'): PeerMatch[] {
  if (peer.ipBlock) {
    const except = peer.ipBlock.except ?? [];
    return [{ text: `ip ${field} ${peer.ipBlock.cidr}${except.length > 0 ? ` ip ${field} != { ${except.join(', ')} }` : ''}` }];
  }
  const nsLabels = new Map(lab.namespaces.map((n) => [n.name, n.labels]));
  const pods = lab.pods
    .filter((p) => (peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels.get(p.namespace) ?? {}) : p.namespace === policyNamespace))
    .filter((p) => (peer.podSelector ? selects(peer.podSelector, p.labels) : true));
  // A selector that matches no pod allows nothing: no statement at all.
  return pods.length === 0 ? [] : [{ text: `ip ${field} { ${pods.map((p) => p.ip).join(', ')} }`, pods }];
}

export type { Policy };

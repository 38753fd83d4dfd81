import type { Lab } from './types.js';

/** Where traffic starts: a pod or a node, by its namespace. */
export interface Source {
  kind: 'pod' | 'node';
  name: string;
  netns: string;
  /** The address it sends from on its main interface. */
  ip: string;
}

/** Where traffic goes: an address, and who holds it when the lab knows. */
export interface Target {
  ip: string;
  /** How the file named it (`pod4`, `10.244.99.9`). */
  label: string;
  /** The pod that must answer on this address (listeners answer with their pod's name). */
  pod?: string;
}

/** A pod or node by name (the rules guarantee it exists). */
export function source(lab: Lab, name: string): Source {
  const pod = lab.pods.find((p) => p.name === name);
  if (pod) return { kind: 'pod', name, netns: pod.netns, ip: pod.ip };
  const node = lab.nodes.find((n) => n.name === name)!;
  return { kind: 'node', name, netns: node.netns, ip: node.address };
}

/** A name or a literal address; loopback belongs to the source itself. */
export function target(lab: Lab, text: string, from: Source): Target {
  const pod = lab.pods.find((p) => p.name === text || p.ip === text);
  if (pod) return { ip: pod.ip, label: text, pod: pod.name };
  const node = lab.nodes.find((n) => n.name === text || n.address === text);
  if (node) return { ip: node.address, label: text };
  if (text.startsWith('127.') && from.kind === 'pod') return { ip: text, label: text, pod: from.name };
  return { ip: text, label: text };
}

import { NODE_ATTRIBUTES, POD_ATTRIBUTES } from '../lab/attributes.js';
import type { Lab } from '../lab/types.js';

const REFERENCE = /\$\{([a-z0-9-]+)\.([A-Za-z]+)\}/g;

/**
 * Replaces `${pod.ip}`, `${node.address}` and the like with the lab's values.
 * The lab file's rules already refused unknown names and attributes.
 */
export function expandTemplates(text: string, lab: Lab): string {
  const pods = new Map(lab.pods.map((p) => [p.name, p]));
  const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
  return text.replace(REFERENCE, (whole, name: string, attribute: string) => {
    const pod = pods.get(name);
    if (pod) return Object.hasOwn(POD_ATTRIBUTES, attribute) ? POD_ATTRIBUTES[attribute as keyof typeof POD_ATTRIBUTES](pod) : whole;
    const node = nodes.get(name);
    if (node) return Object.hasOwn(NODE_ATTRIBUTES, attribute) ? NODE_ATTRIBUTES[attribute as keyof typeof NODE_ATTRIBUTES](node) : whole;
    return whole;
  });
}

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
    if (pod) {
      const values: Record<string, string> = { ip: pod.ip, mac: pod.mac, name: pod.name, node: pod.node, hostVeth: pod.hostVeth, gateway: pod.gateway };
      return values[attribute] ?? whole;
    }
    const node = nodes.get(name);
    if (node) {
      const values: Record<string, string> = { address: node.address, mac: node.mac, name: node.name, podSubnet: node.podSubnet, gateway: node.gateway };
      return values[attribute] ?? whole;
    }
    return whole;
  });
}

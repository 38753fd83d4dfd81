import type { Hop } from '../trace/types.js';
import type { Picture } from './picture.js';

/**
 * The box of the picture each hop of a trace happens in, so the page draws
 * the path across the picture: a device of a node when the hop names one
 * drawn there (eth0, flannel.1, cni0), a pod's veth at that pod, else the
 * node, the pod (or its node's count when pods are not drawn), the fabric,
 * the outside client.
 */
export function boxesOfHops(hops: readonly Hop[], pic: Picture, pods: ReadonlyArray<{ name: string; node: string; hostVeth: string }>): string[] {
  const ids = new Set(pic.boxes.map((b) => b.id));
  const podNode = new Map(pods.map((p) => [p.name, p.node]));
  // A node's veth is the wire to one pod: the hop is drawn at that pod.
  const vethPod = new Map(pods.map((p) => [`${p.node}/${p.hostVeth}`, p.name]));
  return hops.map((hop) => {
    if (ids.has(hop.where)) return hop.where; // fabric, external
    const device = `node/${hop.where}/${hop.iface ?? ''}`;
    if (hop.iface && ids.has(device)) return device;
    const wired = hop.iface && vethPod.get(`${hop.where}/${hop.iface}`);
    if (wired && ids.has(`pod/${wired}`)) return `pod/${wired}`;
    if (ids.has(`node/${hop.where}`)) return `node/${hop.where}`;
    if (ids.has(`pod/${hop.where}`)) return `pod/${hop.where}`;
    const node = podNode.get(hop.where);
    if (node && ids.has(`node/${node}/pods`)) return `node/${node}/pods`;
    if (node && ids.has(`node/${node}`)) return `node/${node}`;
    return 'fabric';
  });
}

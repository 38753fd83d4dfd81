import { bridgeNodes } from '../lab/node-pods.js';
import type { BridgeNode, Lab, Pod } from '../lab/types.js';
import type { Contribution } from './contribution.js';

/**
 * Each pod, as the CNI bridge plugin wires it: a veth pair whose host side
 * `vethXXXXXXXX` is a hairpinned port of cni0 and whose pod side is `eth0`,
 * the pod's address on it and a default route via the node's gateway.
 */
export function planPods(lab: Lab): Contribution[] {
  const nodes = new Map(bridgeNodes(lab).map((n) => [n.name, n]));
  return lab.pods.map((pod) => planPod(lab, pod, nodes.get(pod.node)!));
}

function planPod(lab: Lab, pod: Pod, node: BridgeNode): Contribution {
  const nodeNetns = node.netns;
  const mtu = lab.network.podMTU;
  const { netns } = pod;
  return {
    namespaces: [{ kind: 'netns.add', netns }],
    links: [
      {
        kind: 'link.add.veth',
        netns: nodeNetns,
        name: pod.hostVeth,
        mac: pod.hostVethMac,
        mtu,
        peer: { netns, name: 'eth0', mac: pod.mac },
      },
    ],
    addresses: [
      { kind: 'link.master', netns: nodeNetns, name: pod.hostVeth, master: node.bridge },
      { kind: 'link.hairpin', netns: nodeNetns, name: pod.hostVeth },
      { kind: 'link.up', netns: nodeNetns, name: pod.hostVeth },
      { kind: 'link.up', netns, name: 'lo' },
      { kind: 'addr.add', netns, dev: 'eth0', address: `${pod.ip}/${pod.prefix}` },
      { kind: 'link.up', netns, name: 'eth0' },
    ],
    routes: [{ kind: 'route.add', netns, verb: 'add', dst: 'default', via: pod.gateway, dev: 'eth0' }],
    // The bridge plugin sets arp_notify so a pod announces its address when eth0 comes up.
    sysctls: [{ kind: 'sysctl.set', netns, key: 'net.ipv4.conf.eth0.arp_notify', value: '1' }],
  };
}

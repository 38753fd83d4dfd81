import type { Lab, Node } from '../lab/types.js';
import type { Contribution } from './contribution.js';

/**
 * Each node: a namespace whose eth0 is plugged into the fabric, with
 * forwarding on, since a node routes for its pods. The pods' bridge cni0 is
 * the pods' part (planPods, or the bridge plugin at the node's first ADD).
 */
export function planNodes(lab: Lab): Contribution[] {
  return lab.nodes.map((node) => planNode(lab, node));
}

function planNode(lab: Lab, node: Node): Contribution {
  const { netns } = node;
  const fabric = lab.fabric;
  const mtu = lab.network.underlay.mtu;
  return {
    namespaces: [{ kind: 'netns.add', netns }],
    links: [
      {
        kind: 'link.add.veth',
        netns,
        name: 'eth0',
        mac: node.mac,
        mtu,
        peer: { netns: fabric.netns, name: node.fabricPort, mac: node.fabricPortMac },
      },
    ],
    addresses: [
      { kind: 'link.master', netns: fabric.netns, name: node.fabricPort, master: fabric.bridge },
      { kind: 'link.up', netns: fabric.netns, name: node.fabricPort },
      { kind: 'link.up', netns, name: 'lo' },
      { kind: 'addr.add', netns, dev: 'eth0', address: `${node.address}/${lab.network.underlay.prefix}` },
      { kind: 'link.up', netns, name: 'eth0' },
    ],
    sysctls: [{ kind: 'sysctl.set', netns, key: 'net.ipv4.ip_forward', value: '1' }],
  };
}

import type { Lab, Node } from '../lab/types.js';
import type { Contribution } from './contribution.js';

/**
 * Each node: a namespace whose eth0 is plugged into the fabric, with
 * forwarding on, since a node routes for its pods; with flannel, the pods'
 * bridge cni0 holding the gateway (the CNI bridge plugin with isGateway).
 * Calico nodes have no bridge.
 */
export function planNodes(lab: Lab): Contribution[] {
  return lab.nodes.map((node) => planNode(lab, node));
}

function planNode(lab: Lab, node: Node): Contribution {
  const { netns } = node;
  const fabric = lab.fabric;
  const mtu = lab.network.underlay.mtu;
  // With CNI plugins, the bridge plugin makes cni0 at the node's first ADD.
  const bridgeByNetlab = node.kind === 'bridge' && lab.network.cni.kind === 'builtin';
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
      ...(bridgeByNetlab ? [{ kind: 'link.add.bridge' as const, netns, name: node.bridge, mac: node.bridgeMac, mtu: lab.network.podMTU }] : []),
    ],
    addresses: [
      { kind: 'link.master', netns: fabric.netns, name: node.fabricPort, master: fabric.bridge },
      { kind: 'link.up', netns: fabric.netns, name: node.fabricPort },
      { kind: 'link.up', netns, name: 'lo' },
      { kind: 'addr.add', netns, dev: 'eth0', address: `${node.address}/${lab.network.underlay.prefix}` },
      { kind: 'link.up', netns, name: 'eth0' },
      ...(bridgeByNetlab
        ? [
            { kind: 'addr.add' as const, netns, dev: node.bridge, address: `${node.gateway}/${node.podPrefix}` },
            { kind: 'link.up' as const, netns, name: node.bridge },
          ]
        : []),
    ],
    sysctls: [{ kind: 'sysctl.set', netns, key: 'net.ipv4.ip_forward', value: '1' }],
  };
}

import type { Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';

/**
 * The outside client: a namespace on the node network, like a laptop on the
 * nodes' LAN. It reaches node addresses (so NodePorts) and nothing of the pod
 * network: it has no route there, as a real client outside the cluster.
 */
export function planExternal(lab: Lab): Contribution {
  const e = lab.external;
  if (!e) return {};
  const fabric = lab.fabric;
  return {
    namespaces: [{ kind: 'netns.add', netns: e.netns }],
    links: [
      {
        kind: 'link.add.veth',
        netns: e.netns,
        name: 'eth0',
        mac: e.mac,
        mtu: lab.network.underlay.mtu,
        peer: { netns: fabric.netns, name: e.fabricPort, mac: e.fabricPortMac },
      },
    ],
    addresses: [
      { kind: 'link.master', netns: fabric.netns, name: e.fabricPort, master: fabric.bridge },
      { kind: 'link.up', netns: fabric.netns, name: e.fabricPort },
      { kind: 'link.up', netns: e.netns, name: 'lo' },
      { kind: 'addr.add', netns: e.netns, dev: 'eth0', address: `${e.address}/${lab.network.underlay.prefix}` },
      { kind: 'link.up', netns: e.netns, name: 'eth0' },
    ],
  };
}

import { bridgeNodes } from '../lab/node-pods.js';
import type { Lab, VxlanBackend } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import type { Op } from './ops.js';

/**
 * flannel's VXLAN backend (flannel-io/flannel pkg/backend/vxlan): a
 * `flannel.<VNI>` device without learning, the node subnet's network address
 * as /32 on it, and for every other node, in flannel's order, a permanent
 * neighbour (its VTEP address → VTEP MAC), an FDB entry (VTEP MAC → node
 * address) and an onlink route for its subnet. No route for the whole podCIDR.
 */
export function planVxlan(lab: Lab, backend: VxlanBackend): Contribution[] {
  const vteps = new Map(backend.vteps.map((v) => [v.node, v]));
  const nodes = bridgeNodes(lab);
  return nodes.map((node) => {
    const { netns } = node;
    const dev = backend.device;
    const own = vteps.get(node.name)!;
    const routes: Op[] = [];
    for (const remote of nodes) {
      if (remote.name === node.name) continue;
      const vtep = vteps.get(remote.name)!;
      routes.push(
        { kind: 'neigh.replace', netns, address: vtep.address, lladdr: vtep.mac, dev },
        { kind: 'fdb.replace', netns, mac: vtep.mac, dev, dst: remote.address },
        { kind: 'route.add', netns, verb: 'replace', dst: remote.podSubnet, via: vtep.address, dev, onlink: true },
      );
    }
    return {
      links: [
        {
          kind: 'link.add.vxlan',
          netns,
          name: dev,
          mac: own.mac,
          mtu: backend.mtu,
          vni: backend.vni,
          local: node.address,
          dev: 'eth0',
          port: backend.port,
          txqueuelen: 0,
        },
      ],
      addresses: [
        { kind: 'addr.add', netns, dev, address: `${own.address}/32` },
        { kind: 'link.up', netns, name: dev },
      ],
      routes,
      // flannel turns router advertisements off on its device.
      sysctls: [{ kind: 'sysctl.set', netns, key: `net.ipv6.conf.${dev.replace('.', '/')}.accept_ra`, value: '0' }],
    };
  });
}

import { podRangesOf } from '../lab/node-pods.js';
import type { CalicoEncapsulation, Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import type { Op } from './ops.js';

/** felix's protocol number for the routes it owns: dataplanedefs.DefaultRouteProto. */
export const FELIX_ROUTE_PROTOCOL = 80;

/**
 * felix's VXLAN (intdataplane vxlan_mgr.go): `vxlan.calico` (VNI 4096, UDP
 * 4789, no learning) holding the node's tunnel address as /32, and for each
 * other node a permanent neighbour (its tunnel address → VTEP MAC), an FDB
 * entry (VTEP MAC → node address) and an onlink route per block it holds.
 * felix programs these from the datastore; BIRD still announces the blocks,
 * but its kernel filter leaves VXLAN blocks to felix, the node's own too:
 * felix's route manager (dataplane/linux/route_mgr.go, blackholeRoutes) drops
 * what is not a pod of the node's blocks with `blackhole BLOCK proto 80`
 * (dataplanedefs.DefaultRouteProto, calculateRouteProtocol while
 * DeviceRouteProtocol keeps its default, 3). The tunnel routes carry no
 * protocol of their own (the route table's default, DeviceRouteProtocol:
 * boot), as `ip route` shows them here.
 */

export function planCalicoVxlan(lab: Lab, vxlan: Extract<CalicoEncapsulation, { kind: 'vxlan' }>): Contribution[] {
  const vteps = new Map(vxlan.vteps.map((v) => [v.node, v]));
  return lab.nodes.map((node) => {
    const { netns } = node;
    const dev = vxlan.device;
    const own = vteps.get(node.name)!;
    const routes: Op[] = podRangesOf(node).map((block): Op => ({ kind: 'route.blackhole', netns, dst: block, protocol: FELIX_ROUTE_PROTOCOL }));
    for (const remote of lab.nodes.filter((n) => n.name !== node.name)) {
      const vtep = vteps.get(remote.name)!;
      routes.push(
        { kind: 'neigh.replace', netns, address: vtep.address, lladdr: vtep.mac, dev },
        { kind: 'fdb.replace', netns, mac: vtep.mac, dev, dst: remote.address },
        ...podRangesOf(remote).map((block): Op => ({ kind: 'route.add', netns, verb: 'replace', dst: block, via: vtep.address, dev, onlink: true })),
      );
    }
    return {
      links: [{ kind: 'link.add.vxlan', netns, name: dev, mac: own.mac, mtu: vxlan.mtu, vni: vxlan.vni, local: node.address, dev: 'eth0', port: vxlan.port }],
      addresses: [
        { kind: 'addr.add', netns, dev, address: `${own.address}/32` },
        { kind: 'link.up', netns, name: dev },
      ],
      routes,
    };
  });
}

/**
 * Calico's IP-in-IP: the kernel's fallback device tunl0 (there in every
 * namespace once the ipip module is loaded) holds the node's tunnel address;
 * BIRD installs each remote block `via NODE dev tunl0 onlink`.
 */
export function planCalicoIpip(lab: Lab, ipip: Extract<CalicoEncapsulation, { kind: 'ipip' }>): Contribution[] {
  const tunnels = new Map(ipip.tunnels.map((t) => [t.node, t.address]));
  return lab.nodes.map((node) => ({
    addresses: [
      { kind: 'addr.add', netns: node.netns, dev: ipip.device, address: `${tunnels.get(node.name)!}/32` },
      { kind: 'link.up', netns: node.netns, name: ipip.device },
    ],
  }));
}

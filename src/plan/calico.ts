import { CALICO_POD_GATEWAY, VETH_ADDRGENMODE } from '../lab/defaults.js';
import type { Lab, Pod } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import type { Op } from './ops.js';

/**
 * Calico's pod wiring (cni-plugin dataplane_linux.go, felix's route and ARP
 * managers): a veth whose host side `caliXXXXXXXXXXX` has the MAC
 * ee:ee:ee:ee:ee:ee, no address and proxy ARP on; the pod's eth0 holds its
 * /32 and routes everything via 169.254.1.1, an address no device has, which
 * the host side answers by proxy ARP. The node routes each pod's /32 to its
 * veth and holds a static ARP entry for it. No bridge anywhere.
 */
export function planCalico(lab: Lab): Contribution[] {
  const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
  return [...lab.nodes.map((node) => planCalicoNode(node.netns)), ...lab.pods.map((pod) => planCalicoPod(lab, pod, nodes.get(pod.node)!.netns))];
}

/**
 * Proxy ARP answers only for an address the node routes out of another
 * device. A real node's default route covers 169.254.1.1; the lab's nodes have
 * no default route, so they get a route for that one address on eth0.
 */
function planCalicoNode(netns: string): Contribution {
  return { routes: [{ kind: 'route.add', netns, verb: 'add', dst: `${CALICO_POD_GATEWAY}/32`, dev: 'eth0' }] };
}

function planCalicoPod(lab: Lab, pod: Pod, nodeNetns: string): Contribution {
  const { netns } = pod;
  const veth = pod.hostVeth;
  const sysctl = (key: string, value: string): Op => ({ kind: 'sysctl.set', netns: nodeNetns, key, value });
  return {
    namespaces: [{ kind: 'netns.add', netns }],
    links: [
      {
        kind: 'link.add.veth',
        netns: nodeNetns,
        name: veth,
        mac: pod.hostVethMac,
        mtu: lab.network.podMTU,
        peer: { netns, name: 'eth0', mac: pod.mac },
      },
    ],
    addresses: [
      { kind: 'link.addrgenmode', netns: nodeNetns, name: veth, mode: VETH_ADDRGENMODE },
      { kind: 'link.up', netns: nodeNetns, name: veth },
      { kind: 'link.up', netns, name: 'lo' },
      { kind: 'addr.add', netns, dev: 'eth0', address: `${pod.ip}/32` },
      { kind: 'link.addrgenmode', netns, name: 'eth0', mode: VETH_ADDRGENMODE },
      { kind: 'link.up', netns, name: 'eth0' },
    ],
    routes: [
      // Calico's CNI plugin: the gateway on the link first, so the default route can use it.
      { kind: 'route.add', netns, verb: 'add', dst: `${CALICO_POD_GATEWAY}/32`, dev: 'eth0' },
      { kind: 'route.add', netns, verb: 'add', dst: 'default', via: CALICO_POD_GATEWAY, dev: 'eth0' },
      // felix: the pod's /32 on its veth, and its MAC, so the node never has to ask.
      { kind: 'route.add', netns: nodeNetns, verb: 'replace', dst: `${pod.ip}/32`, dev: veth },
      { kind: 'neigh.replace', netns: nodeNetns, address: pod.ip, lladdr: pod.mac, dev: veth },
    ],
    // felix's settings of every workload interface (intdataplane endpoint manager).
    sysctls: [
      sysctl(`net.ipv4.conf.${veth}.proxy_arp`, '1'),
      sysctl(`net.ipv4.neigh.${veth}.proxy_delay`, '0'),
      sysctl(`net.ipv4.conf.${veth}.forwarding`, '1'),
      sysctl(`net.ipv4.conf.${veth}.route_localnet`, '1'),
    ],
  };
}

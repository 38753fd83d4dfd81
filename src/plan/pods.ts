import { parseCidr, intToAddress } from '../lab/cidr.js';
import { bridgeNodes } from '../lab/node-pods.js';
import { VETH_ADDRGENMODE } from '../lab/defaults.js';
import type { BridgeNode, Lab, Pod } from '../lab/types.js';
import type { Contribution } from './contribution.js';

/**
 * Pods as flannel's CNI plugin has the bridge plugin wire them, object for
 * object (an integration test builds a lab both ways and compares them):
 * cni0 made at a node's first pod, after flannel.1, holding the gateway; per
 * pod a veth pair (transmit queue 0, as netlink's zero value leaves it) whose
 * host side `vethXXXXXXXX` is a hairpinned port of cni0 and whose pod side
 * is `eth0`, the pod's address with its broadcast, a default route and one
 * for the whole pod network via the gateway (flannel's), router
 * advertisements off on the node's side. Three things differ on purpose (the
 * fidelity test lists them): netlab's MACs are derived from the names, so
 * every run of a lab looks the same; neither end of the veth has an IPv6
 * link-local address (see VETH_ADDRGENMODE); and so netlab leaves IPv6 duplicate address
 * detection on in the pod where the plugin turns it off, which could only be
 * written through /proc/sys, whose lookup in each new namespace walks every
 * other namespace's entry: one per pod makes `up` quadratic in pods.
 */
export function planPods(lab: Lab): Contribution[] {
  const nodes = bridgeNodes(lab);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const withPods = nodes.filter((n) => lab.pods.some((p) => p.node === n.name));
  return [...withPods.map((n) => planBridge(lab, n)), ...lab.pods.map((pod) => planPod(lab, pod, byName.get(pod.node)!))];
}

/** The bridge plugin's cni0 with isGateway: the gateway address and its broadcast, up, no router advertisements. */
function planBridge(lab: Lab, node: BridgeNode): Contribution {
  const { netns } = node;
  return {
    links: [{ kind: 'link.add.bridge', netns, name: node.bridge, mac: node.bridgeMac, mtu: lab.network.podMTU }],
    addresses: [
      { kind: 'addr.add', netns, dev: node.bridge, address: `${node.gateway}/${node.podPrefix}`, broadcast: broadcastOf(node) },
      { kind: 'link.up', netns, name: node.bridge },
    ],
    sysctls: [{ kind: 'sysctl.set', netns, key: `net.ipv6.conf.${node.bridge}.accept_ra`, value: '0' }],
  };
}

function planPod(lab: Lab, pod: Pod, node: BridgeNode): Contribution {
  const nodeNetns = node.netns;
  const mtu = lab.network.podMTU;
  const { netns } = pod;
  return {
    namespaces: [{ kind: 'netns.add', netns }],
    // The veth is made with the pod's addresses, not with the nodes' links: each pod is wired whole, its
    // ends up as soon as they exist (see applyWave: a veth made and left down waits in the kernel's
    // link-event queue, which every other link's event walks).
    addresses: [
      {
        kind: 'link.add.veth',
        netns: nodeNetns,
        name: pod.hostVeth,
        mac: pod.hostVethMac,
        mtu,
        txqueuelen: 0,
        peer: { netns, name: 'eth0', mac: pod.mac },
      },
      { kind: 'link.master', netns: nodeNetns, name: pod.hostVeth, master: node.bridge },
      { kind: 'link.hairpin', netns: nodeNetns, name: pod.hostVeth },
      { kind: 'link.addrgenmode', netns: nodeNetns, name: pod.hostVeth, mode: VETH_ADDRGENMODE },
      { kind: 'link.up', netns: nodeNetns, name: pod.hostVeth },
      { kind: 'link.up', netns, name: 'lo' },
      { kind: 'addr.add', netns, dev: 'eth0', address: `${pod.ip}/${pod.prefix}`, broadcast: broadcastOf(node) },
      // The bridge plugin sets arp_notify before eth0 comes up, so the pod announces its address (a gratuitous
      // ARP as its carrier comes up), which also teaches cni0 where its MAC is.
      { kind: 'sysctl.set', netns, key: 'net.ipv4.conf.eth0.arp_notify', value: '1' },
      { kind: 'link.addrgenmode', netns, name: 'eth0', mode: VETH_ADDRGENMODE },
      { kind: 'link.up', netns, name: 'eth0' },
    ],
    routes: [
      { kind: 'route.add', netns, verb: 'add', dst: 'default', via: pod.gateway, dev: 'eth0' },
      // flannel's CNI plugin adds the pod network to the delegate's IPAM routes.
      { kind: 'route.add', netns, verb: 'add', dst: lab.network.podCIDR, via: pod.gateway, dev: 'eth0' },
    ],
    sysctls: [{ kind: 'sysctl.set', netns: nodeNetns, key: `net.ipv6.conf.${pod.hostVeth}.accept_ra`, value: '0' }],
  };
}

/** A node's pod subnet's broadcast address, worked out once per node (10,000 pods would parse it 10,000 times). */
const broadcasts = new WeakMap<BridgeNode, string>();
function broadcastOf(node: BridgeNode): string {
  let b = broadcasts.get(node);
  if (b === undefined) broadcasts.set(node, (b = intToAddress(parseCidr(node.podSubnet).last)));
  return b;
}

/**
 * Defaults of the lab format, each with where it comes from. Real clusters
 * use these values, so a lab looks like the node a student will meet.
 */

/** kubeadm's and flannel's default cluster pod network (kube-flannel.yml net-conf.json). */
export const DEFAULT_POD_CIDR = '10.244.0.0/16';
/** flannel's SubnetLen default: one /24 per node. */
export const DEFAULT_NODE_SUBNET_SIZE = 24;
/** kube-apiserver's --service-cluster-ip-range default. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
/** The underlay of seed 000's picture (nodes 192.168.19.13 and friends). */
export const DEFAULT_UNDERLAY_CIDR = '192.168.19.0/24';
/** Ethernet. */
export const DEFAULT_UNDERLAY_MTU = 1500;
/** flannel pkg/backend/vxlan: VNI 1 unless configured. */
export const FLANNEL_VXLAN_VNI = 1;
/** flannel pkg/backend/vxlan: the Linux kernel's historical VXLAN port, not IANA's 4789. */
export const FLANNEL_VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_OVERHEAD = 50;
/** The CNI bridge plugin's default bridge name (plugins/main/bridge). */
export const CNI_BRIDGE = 'cni0';
/** The bridge inside the fabric namespace that plays the switch between nodes. */
export const FABRIC_BRIDGE = 'underlay';
/** Linux's IFNAMSIZ is 16 including the NUL. */
export const MAX_IFNAME = 15;
/** Every namespace netlab makes starts with this; `clean` removes exactly these. */
export const NETNS_PREFIX = 'netlab.';
/** Calico's default AS number (calico/node, projectcalico.org/v3 BGPConfiguration asNumber). */
export const CALICO_AS_NUMBER = 64512;
/** Calico IPAM's default IPv4 block size (IPPool blockSize). */
export const CALICO_BLOCK_SIZE = 26;
/** The gateway every Calico pod routes through: a link-local address no device holds, answered by proxy ARP. */
export const CALICO_POD_GATEWAY = '169.254.1.1';
/** The MAC of every Calico host-side veth (libcalico-go, so ARP replies never change when a veth is remade). */
export const CALICO_VETH_MAC = 'ee:ee:ee:ee:ee:ee';
/** felix's VXLAN device, VNI and port (FelixConfiguration vxlanVNI, vxlanPort). */
export const CALICO_VXLAN_DEVICE = 'vxlan.calico';
export const CALICO_VXLAN_VNI = 4096;
export const CALICO_VXLAN_PORT = 4789;
/** Outer IPv4 header of IP-in-IP. */
export const IPIP_OVERHEAD = 20;

/**
 * Neither end of a pod's veth makes an IPv6 link-local address. The lab's
 * pod network is IPv4; a link-local address makes each pod send a duplicate
 * address probe, router solicitations and MLD reports as its eth0 comes up,
 * which cni0 floods to every other pod of the node (work that grows with the
 * square of a node's pods), and makes the kernel run that address's DAD and
 * router solicitation in workers that take the RTNL lock `up` needs.
 * Profiled with perf at 10,000 pods: the pods' side was a quarter of all CPU
 * during `up`; the node's side, 2 of the 14 seconds left.
 */
export const VETH_ADDRGENMODE = 'none' as const;

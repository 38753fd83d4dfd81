import { parseCidr } from '../lab/cidr.js';
import type { CniPluginConf } from '../lab/conflist.js';
import type { BridgeNode, Lab } from '../lab/types.js';

/** What flanneld writes to /run/flannel/subnet.env on a node, and its CNI plugin reads. */
export interface SubnetEnv {
  network: string;
  /** The node's subnet, written as its first address and prefix (10.244.1.1/24). */
  subnet: string;
  mtu: number;
  /** flanneld masquerades itself (kube-flannel runs it with --ip-masq), so the delegate must not. */
  ipMasq: boolean;
}

export function subnetEnvOf(lab: Lab, node: BridgeNode): SubnetEnv {
  return { network: lab.network.podCIDR, subnet: `${node.gateway}/${node.podPrefix}`, mtu: lab.network.podMTU, ipMasq: true };
}

export function subnetEnvText(env: SubnetEnv): string {
  return `FLANNEL_NETWORK=${env.network}\nFLANNEL_SUBNET=${env.subnet}\nFLANNEL_MTU=${env.mtu}\nFLANNEL_IPMASQ=${env.ipMasq}\n`;
}

/**
 * flannel's CNI plugin (flannel-io/cni-plugin flannel_linux.go doCmdAdd):
 * its `delegate`, completed from subnet.env, is what actually runs. Type
 * bridge unless given; ipMasq the opposite of flanneld's; the MTU; isGateway
 * for bridge; the list's name and version; host-local IPAM over the node's
 * subnet with a route to the whole pod network added to the delegate's
 * own. host-local keeps its reservations in `ipamDataDir` (netlab's state
 * directory, not /var/lib/cni/networks, which is the host's).
 */
export function flannelDelegate(flannel: CniPluginConf, name: string, cniVersion: string, env: SubnetEnv, ipamDataDir: string): CniPluginConf {
  const delegate: Record<string, unknown> = { ...((flannel.delegate as Record<string, unknown> | undefined) ?? {}) };
  delegate.name = name;
  if (!('type' in delegate)) delegate.type = 'bridge';
  if (!('ipMasq' in delegate)) delegate.ipMasq = !env.ipMasq;
  if (!('mtu' in delegate)) delegate.mtu = env.mtu;
  if (delegate.type === 'bridge' && !('isGateway' in delegate)) delegate.isGateway = true;
  delegate.cniVersion = cniVersion;
  const ipam = { ...((flannel.ipam as Record<string, unknown> | undefined) ?? {}) };
  if (!('type' in ipam)) ipam.type = 'host-local';
  const routes = Array.isArray(ipam.routes) ? (ipam.routes as unknown[]) : [];
  // flannel adds { dst: network } without a gateway. The plugins install it via the gateway anyway, and then
  // their CHECK (v1.1.1, ValidateExpectedRoute) looks for a route without one and fails every pod: fixed upstream
  // in v1.3.0 (containernetworking/plugins#886, #887). Naming the gateway makes the same kernel route and a CHECK that passes.
  const gw = env.subnet.split('/')[0]!;
  delegate.ipam = { ...ipam, ranges: [[{ subnet: parseCidr(env.subnet).text }]], routes: [...routes, { dst: env.network, gw }], dataDir: ipamDataDir };
  return delegate as CniPluginConf;
}

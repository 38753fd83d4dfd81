import { parseConflist, REFERENCE_CONFLIST_TEXT, type CniPluginConf, type Conflist } from '../lab/conflist.js';
import { PACKAGED_CNI_DIR } from '../lab/cni.js';
import { bridgeNodes } from '../lab/node-pods.js';
import type { Lab, Pod } from '../lab/types.js';
import { flannelDelegate, subnetEnvOf, subnetEnvText } from './cni-flannel.js';
import type { Contribution } from './contribution.js';
import type { CniAdd, Op, PlanContext } from './ops.js';

/** containerd's loopback network, attached before the pod's own. */
const LOOPBACK: Conflist = {
  name: 'cni-loopback',
  cniVersion: '1.0.0',
  plugins: [{ type: 'loopback' }],
  text: '{"cniVersion":"1.0.0","name":"cni-loopback","plugins":[{"type":"loopback"}]}\n',
};

let reference: Conflist | undefined;

/** kube-flannel's list, validated the first time a plan needs it (not at start-up: most labs never do). */
function referenceConflist(): Conflist {
  if (reference) return reference;
  const parsed = parseConflist('reference.conflist', REFERENCE_CONFLIST_TEXT);
  if (!parsed.ok) throw new Error('the built-in reference conflist does not validate');
  return (reference = parsed.conflist);
}

/** The list a lab's pods are attached with: kube-flannel's in `reference` mode, the user's in `conflist` mode. */
export function conflistOf(lab: Lab, context: PlanContext): Conflist {
  if (lab.network.cni.kind === 'reference') return referenceConflist();
  if (!context.conflist) throw new Error(`lab ${lab.name} attaches pods with a conflist, and none was given to the plan`);
  return context.conflist;
}

/** Where the results of ADD are cached, under the lab's state directory (libcni: /var/lib/cni/results). */
export function cniResultsDir(stateDir: string): string {
  return `${stateDir}/cni/results`;
}

/** Where libcni would cache one result: NETWORK-CONTAINERID-IFNAME. */
export function cniCacheFile(stateDir: string, network: string, containerId: string, ifname: string): string {
  return `${cniResultsDir(stateDir)}/${network}-${containerId}-${ifname}`;
}

/**
 * Pods wired by CNI plugins, as kubelet and containerd would: netlab makes
 * the pod's namespace (the pause container's), then attaches the loopback
 * network and the lab's list, in pod order on each node, so host-local hands
 * out the addresses netlab planned. Each node gets flannel's subnet.env.
 */
export function planCniPods(lab: Lab, context: PlanContext): Contribution[] {
  const conflist = conflistOf(lab, context);
  const cniPath = lab.network.cni.kind === 'conflist' ? lab.network.cni.path : [PACKAGED_CNI_DIR];
  const nodes = new Map(bridgeNodes(lab).map((n) => [n.name, n]));
  const envFiles: Op[] = [...nodes.values()].map((node) => ({
    kind: 'file.write',
    path: `${context.stateDir}/cni/${node.name}/subnet.env`,
    content: subnetEnvText(subnetEnvOf(lab, node)),
  }));
  const pods = lab.pods.map((pod, index): Contribution => {
    const node = nodes.get(pod.node)!;
    const env = subnetEnvOf(lab, node);
    const ipamDir = `${context.stateDir}/cni/ipam/${node.name}`;
    const plugins = conflist.plugins.map((p) =>
      p.type === 'flannel' ? flannelDelegate(p, conflist.name, conflist.cniVersion, env, ipamDir) : withIpamStore(p, ipamDir),
    );
    const attach = (list: Conflist, ifname: string, rendered: CniAdd['plugins'], expectAddress?: string): CniAdd => ({
      kind: 'cni.add',
      order: index * 2 + (ifname === 'lo' ? 0 : 1),
      netns: node.netns,
      pod: pod.name,
      podNetns: pod.netns,
      containerId: pod.netns,
      ifname,
      network: list.name,
      cniVersion: list.cniVersion,
      plugins: rendered,
      runtimeConfig: runtimeConfigOf(pod),
      args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.podName};K8S_POD_INFRA_CONTAINER_ID=${pod.netns}`,
      cniPath,
      cacheFile: cniCacheFile(context.stateDir, list.name, pod.netns, ifname),
      ...(expectAddress ? { expectAddress } : {}),
    });
    return {
      namespaces: [{ kind: 'netns.add', netns: pod.netns }],
      cni: [attach(LOOPBACK, 'lo', LOOPBACK.plugins), attach(conflist, 'eth0', plugins, `${pod.ip}/${pod.prefix}`)],
    };
  });
  return [{ cni: envFiles }, ...pods];
}

/**
 * A plugin's IPAM keeps its store under the lab's state directory, whatever
 * the list says: host-local's default (/var/lib/cni/networks/NAME) is the
 * host's and outlives `down`, and a `dataDir` of the file's choosing would
 * be written as root anywhere.
 */
function withIpamStore(plugin: CniPluginConf, dataDir: string): CniPluginConf {
  const ipam = plugin.ipam;
  if (typeof ipam !== 'object' || ipam === null || Array.isArray(ipam)) return plugin;
  return { ...plugin, ipam: { ...(ipam as Record<string, unknown>), dataDir } };
}

/** kubelet's port mappings for the portmap plugin: every container port with a hostPort. */
function runtimeConfigOf(pod: Pod): Record<string, unknown> {
  const mappings = pod.containers.flatMap((c) =>
    c.listen.filter((l) => l.hostPort !== undefined).map((l) => ({ hostPort: l.hostPort, containerPort: l.port, protocol: l.protocol })),
  );
  return mappings.length > 0 ? { portMappings: mappings } : {};
}

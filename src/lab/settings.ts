import {
  CALICO_AS_NUMBER,
  CALICO_BLOCK_SIZE,
  DEFAULT_NODE_SUBNET_SIZE,
  DEFAULT_POD_CIDR,
  DEFAULT_SERVICE_CIDR,
  DEFAULT_UNDERLAY_CIDR,
  DEFAULT_UNDERLAY_MTU,
  FLANNEL_VXLAN_PORT,
  FLANNEL_VXLAN_VNI,
  IPIP_OVERHEAD,
  VXLAN_OVERHEAD,
} from './defaults.js';
import { DEFAULT_NAMESPACE, podRef } from './namespaces.js';
import type { RawLab, RawPod } from './raw.js';

/** The `network:` section with its defaults, shared by the rules and resolution. */
export interface NetworkSettings {
  backend: 'vxlan' | 'host-gw' | 'calico';
  /** Calico's settings, with their defaults (set whatever the backend, read only with calico). */
  calico: CalicoSettings;
  podCIDR: string;
  nodeSubnetSize: number;
  serviceCIDR: string;
  underlayCIDR: string;
  underlayMTU: number;
  vni: number;
  vxlanPort: number;
  /** Bytes the backend adds to every pod packet on the wire. */
  overhead: number;
  /** The pod MTU the file asks for, if any. */
  mtu: number | undefined;
}

export interface CalicoSettings {
  asNumber: number;
  blockSize: number;
  encapsulation: 'none' | 'vxlan' | 'ipip';
  routeReflector: string | undefined;
}

export function networkSettings(raw: RawLab): NetworkSettings {
  const n = raw.network ?? {};
  const backend = n.backend ?? 'vxlan';
  const calico: CalicoSettings = {
    asNumber: n.calico?.asNumber ?? CALICO_AS_NUMBER,
    blockSize: n.calico?.blockSize ?? CALICO_BLOCK_SIZE,
    encapsulation: n.calico?.encapsulation ?? 'none',
    routeReflector: n.calico?.routeReflector,
  };
  return {
    backend,
    calico,
    podCIDR: n.podCIDR ?? DEFAULT_POD_CIDR,
    nodeSubnetSize: n.nodeSubnetSize ?? DEFAULT_NODE_SUBNET_SIZE,
    serviceCIDR: n.serviceCIDR ?? DEFAULT_SERVICE_CIDR,
    underlayCIDR: n.underlay?.cidr ?? DEFAULT_UNDERLAY_CIDR,
    underlayMTU: n.underlay?.mtu ?? DEFAULT_UNDERLAY_MTU,
    vni: n.vxlan?.vni ?? FLANNEL_VXLAN_VNI,
    vxlanPort: n.vxlan?.port ?? FLANNEL_VXLAN_PORT,
    overhead: overheadOf(backend, calico.encapsulation),
    mtu: n.mtu,
  };
}

/** Bytes each backend adds to a pod packet on the wire: the outer headers of its tunnel, if any. */
function overheadOf(backend: NetworkSettings['backend'], encapsulation: CalicoSettings['encapsulation']): number {
  if (backend === 'vxlan') return VXLAN_OVERHEAD;
  if (backend === 'calico' && encapsulation === 'vxlan') return VXLAN_OVERHEAD;
  if (backend === 'calico' && encapsulation === 'ipip') return IPIP_OVERHEAD;
  return 0;
}

/** One pod instance as `replicas` expands it. */
export interface PodInstance {
  /** How the lab refers to it: NAME in the default namespace, NAMESPACE/NAME elsewhere (unique in the lab). */
  name: string;
  /** Its Kubernetes name (NAME-0, NAME-1, … with replicas) and namespace. */
  podName: string;
  namespace: string;
  /** Index of its entry in `pods:`. */
  index: number;
  raw: RawPod;
}

export function expandPods(raw: RawLab): PodInstance[] {
  const out: PodInstance[] = [];
  (raw.pods ?? []).forEach((pod, index) => {
    const namespace = pod.namespace ?? DEFAULT_NAMESPACE;
    const instance = (podName: string) => ({ name: podRef(namespace, podName), podName, namespace, index, raw: pod });
    if (pod.replicas === undefined) {
      out.push(instance(pod.name));
      return;
    }
    for (let r = 0; r < pod.replicas; r++) out.push(instance(`${pod.name}-${r}`));
  });
  return out;
}

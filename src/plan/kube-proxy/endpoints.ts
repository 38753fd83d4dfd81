import { containsAddress, parseCidr } from '../../lab/cidr.js';
import type { Endpoint, Node, Service, ServicePort } from '../../lab/types.js';

/** ClientIP affinity's default timeout (sessionAffinityConfig.clientIP.timeoutSeconds). */
export const AFFINITY_TIMEOUT_SECONDS = 10800;

/** What a filter rule does to traffic with nowhere to go: refuse it (no endpoints at all) or drop it (none usable here). */
export type NoEndpointVerdict = 'reject' | 'drop';

/**
 * One service port as one node's kube-proxy programs it, decided once for
 * both proxy modes as upstream does (pkg/proxy/serviceport.go
 * UsesClusterEndpoints/UsesLocalEndpoints, pkg/proxy/topology.go
 * CategorizeEndpoints, and the policy-chain choices of syncProxyRules in
 * pkg/proxy/nftables and pkg/proxy/iptables): the modes differ in the rules
 * they write, not in which chains exist or which endpoints they name.
 */
export interface PortPlan {
  /** The cluster-policy chain's endpoints (`service-…` / KUBE-SVC-): every endpoint, when the port uses them at all. */
  cluster: Endpoint[];
  /** The local-policy chain's endpoints (`local-…` / KUBE-SVL-): this node's, when a Local policy applies. */
  local: Endpoint[];
  /** Every endpoint a chain names: each gets its endpoint chain (and affinity set). */
  reachable: Endpoint[];
  /** Whether the cluster-policy chain and the local-policy chain exist. */
  clusterChain: boolean;
  localChain: boolean;
  /** ClusterIP traffic: which policy chain takes it, or the verdict when none can (internalTrafficPolicy Local, no endpoint here). */
  internal: { policy: 'cluster' | 'local'; verdict?: NoEndpointVerdict };
  /**
   * Traffic from outside (pkg/proxy/serviceport.go ExternallyAccessible: a NodePort, a LoadBalancer IP or an external IP):
   * the NodePort and the addresses that capture it, whether the external chain exists (any endpoint at all: it
   * short-circuits pods' and the node's own traffic to the cluster chain even when no endpoint is local), the policy
   * chain the rest goes to, and the verdict for the rest when there is none (externalTrafficPolicy Local, no endpoint here).
   */
  external?: {
    nodePort: number | undefined;
    externalIPs: string[];
    loadBalancerIPs: string[];
    /** loadBalancerSourceRanges, when the port has LoadBalancer IPs and ranges: the sources let through, the rest dropped before DNAT. */
    firewall: { sources: string[] } | undefined;
    chain: boolean;
    policy: 'cluster' | 'local';
    verdict?: NoEndpointVerdict;
  };
  /** Where kube-proxy's health server answers for the Service (LoadBalancer, externalTrafficPolicy Local), and this node's endpoint count. */
  healthCheck?: { nodePort: number; localEndpoints: number };
}

export function portPlan(svc: Service, port: ServicePort, node: Node): PortPlan {
  const hasEndpoints = port.endpoints.length > 0;
  const nodePort = port.nodePort;
  const externally = nodePort !== undefined || svc.loadBalancerIPs.length > 0 || svc.externalIPs.length > 0;
  const internalLocal = svc.internalTrafficPolicy === 'Local';
  const externalLocal = svc.externalTrafficPolicy === 'Local';
  // Even under externalTrafficPolicy Local the cluster endpoints are needed: pods and the node short-circuit to them.
  const usesCluster = !internalLocal || externally;
  const usesLocal = internalLocal || (externalLocal && externally);
  const cluster = usesCluster ? port.endpoints : [];
  const local = usesLocal ? port.endpoints.filter((e) => e.node === node.name) : [];
  const reachable = usesCluster ? cluster : local;
  const verdict = (has: boolean): NoEndpointVerdict | undefined => (!hasEndpoints ? 'reject' : has ? undefined : 'drop');
  const internalVerdict = verdict(!internalLocal || local.length > 0);
  const externalVerdict = verdict(!externalLocal || local.length > 0);
  const plan: PortPlan = {
    cluster,
    local,
    reachable,
    clusterChain: cluster.length > 0,
    localChain: local.length > 0,
    internal: { policy: internalLocal ? 'local' : 'cluster', ...(internalVerdict ? { verdict: internalVerdict } : {}) },
  };
  if (externally) {
    plan.external = {
      nodePort,
      externalIPs: svc.externalIPs,
      loadBalancerIPs: svc.loadBalancerIPs,
      firewall: firewall(svc, node),
      chain: hasEndpoints,
      policy: externalLocal ? 'local' : 'cluster',
      ...(externalVerdict ? { verdict: externalVerdict } : {}),
    };
  }
  if (svc.healthCheckNodePort !== undefined) {
    plan.healthCheck = { nodePort: svc.healthCheckNodePort, localEndpoints: port.endpoints.filter((e) => e.node === node.name).length };
  }
  return plan;
}

/**
 * The sources a LoadBalancer IP accepts (proxier.go usesFWChain): the
 * ranges, plus the LoadBalancer IPs themselves when a range holds the node's
 * address, because a node reaching a VIP it holds locally loops back with
 * the VIP as source ("allowFromNode").
 */
function firewall(svc: Service, node: Node): { sources: string[] } | undefined {
  if (svc.loadBalancerIPs.length === 0 || svc.loadBalancerSourceRanges.length === 0) return undefined;
  const ranges = svc.loadBalancerSourceRanges.map((r) => parseCidr(r.trim()));
  const allowFromNode = ranges.some((r) => containsAddress(r, node.address));
  return { sources: [...ranges.map((r) => r.text), ...(allowFromNode ? svc.loadBalancerIPs : [])] };
}

import type { Endpoint, Node, Service, ServicePort } from '../../lab/types.js';

/** ClientIP affinity's default timeout (sessionAffinityConfig.clientIP.timeoutSeconds). */
export const AFFINITY_TIMEOUT_SECONDS = 10800;

/** Which endpoints of one service port a node's kube-proxy programs, and for what. */
export interface NodeEndpoints {
  /** The endpoints on this node: the only ones a Local traffic policy sends to. */
  local: Endpoint[];
  /** Where in-cluster traffic to the ClusterIP goes: every endpoint, or only the local ones under internalTrafficPolicy Local. */
  cluster: Endpoint[];
  /** Every endpoint that needs a chain here: the cluster ones, and the local ones an externalTrafficPolicy Local NodePort picks from. */
  used: Endpoint[];
}

/**
 * The same choice in both proxy modes, as upstream makes it once for both
 * (pkg/proxy/topology.go CategorizeEndpoints): the modes differ in the rules
 * they write, not in which endpoints those rules name.
 */
export function nodeEndpoints(svc: Service, port: ServicePort, node: Node): NodeEndpoints {
  const local = port.endpoints.filter((e) => e.node === node.name);
  const cluster = svc.internalTrafficPolicy === 'Local' ? local : port.endpoints;
  const used = [...new Set([...cluster, ...(svc.externalTrafficPolicy === 'Local' ? local : [])])];
  return { local, cluster, used };
}

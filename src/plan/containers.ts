import type { Lab } from '../lab/types.js';
import { HELPER_PROTOCOL } from '../runtime-path.js';
import type { Contribution } from './contribution.js';
import type { PlanContext } from './ops.js';

/** What the container runtime (runtime/netlab-agent.py) is told to serve. */
export interface AgentConfig {
  /** runtime/netlab_ns.py PROTOCOL: the runtime refuses a config of another version. */
  protocol: number;
  lab: string;
  pods: Array<{
    name: string;
    netns: string;
    containers: Array<{ name: string; listen: Array<{ port: number; protocol: 'tcp' | 'udp' }> }>;
  }>;
  /** kube-proxy's health server: one listener per node and LoadBalancer Service under externalTrafficPolicy Local. */
  healthChecks?: HealthCheck[];
}

export interface HealthCheck {
  netns: string;
  port: number;
  namespace: string;
  name: string;
  /** This node's ready endpoints of the Service (endpointsMap.LocalReadyEndpoints): 200 when above 0, 503 otherwise. */
  localEndpoints: number;
}

/**
 * Where kube-proxy's health server answers: on every node, each Service's
 * healthCheckNodePort, with the node's count of the Service's ready local
 * endpoints (distinct endpoints, over its ports).
 */
export function healthChecks(lab: Lab): HealthCheck[] {
  return lab.nodes.flatMap((node) =>
    lab.services.flatMap((svc) => {
      if (svc.healthCheckNodePort === undefined) return [];
      const local = new Set(svc.ports.flatMap((p) => p.endpoints.filter((e) => e.node === node.name).map((e) => e.ip)));
      return [{ netns: node.netns, port: svc.healthCheckNodePort, namespace: svc.namespace, name: svc.name, localEndpoints: local.size }];
    }),
  );
}

/**
 * Containers: every `listen` port is served inside its pod's namespace, the
 * way the e2e tests' netexec answers with its pod's name. One runtime process
 * per lab serves all pods, so a 1000-pod lab costs one process, not 1000.
 */
export function planContainers(lab: Lab, context: PlanContext): Contribution {
  // Only what the runtime reads (runtime/protocol.json agent.config): a port's name and hostPort are the plan's business.
  const pods = servedPods(lab).map((p) => ({
    name: p.name,
    netns: p.netns,
    containers: p.containers.map((c) => ({ name: c.name, listen: c.listen.map((l) => ({ port: l.port, protocol: l.protocol })) })),
  }));
  const checks = healthChecks(lab);
  if (pods.length === 0 && checks.length === 0) return {};
  const config: AgentConfig = { protocol: HELPER_PROTOCOL, lab: lab.name, pods, ...(checks.length > 0 ? { healthChecks: checks } : {}) };
  const path = `${context.stateDir}/containers.json`;
  return {
    containers: [
      { kind: 'file.write', path, content: `${JSON.stringify(config, null, 1)}\n` },
      { kind: 'process.start', netns: lab.fabric.netns, name: 'agent', config: path, log: `${context.stateDir}/containers.log` },
    ],
  };
}

/**
 * The pods the runtime serves, with the ports it serves. Cluster DNS's pods
 * serve their port 53 with dnsmasq (plan/dns.ts): the runtime serves only
 * their other ports (metrics). ingress-nginx's pods are nginx's alone
 * (plan/ingress-nginx.ts).
 */
function servedPods(lab: Lab): Lab['pods'] {
  const served = (p: Lab['pods'][number]) =>
    p.system === undefined
      ? p
      : {
          ...p,
          containers: p.containers.map((c) => ({
            ...c,
            listen: p.system === 'ingress' || p.system === 'gateway' ? [] : c.listen.filter((l) => l.port !== DNS_PORT),
          })),
        };
  return lab.pods.map(served).filter((p) => p.containers.some((c) => c.listen.length > 0));
}

/** The port dnsmasq serves in cluster DNS's pods. */
const DNS_PORT = 53;

/** The sockets the runtime holds open: one per listening port of every pod it serves. */
export function runtimeSockets(lab: Lab): number {
  return servedPods(lab).reduce((n, p) => n + p.containers.reduce((m, c) => m + c.listen.length, 0), 0) + healthChecks(lab).length;
}

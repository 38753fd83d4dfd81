import { addressToInt, containsAddress, parseCidr } from '../cidr.js';
import { DEFAULT_NAMESPACE } from '../namespaces.js';
import type { DocPath } from '../path.js';
import type { RawLab } from '../raw.js';
import { allocatesNodePorts, DNS_OFFSET, NODE_PORT_MAX, NODE_PORT_MIN, reservedServiceAddress, staticBand } from '../services.js';
import type { NetworkSettings, PodInstance } from '../settings.js';
import { problem, type RuleProblem } from './problem.js';

type RawService = NonNullable<RawLab['services']>[number];

/**
 * Services, checked the way kube-apiserver checks them: names unique in a
 * namespace, ports named when there are several, no port twice, nodePorts
 * only for NodePort services and never taken twice, a clusterIP inside
 * serviceCIDR and free, a named targetPort that some selected pod has.
 * A selector that matches no pod is only a warning: Kubernetes accepts it.
 */
export function checkServices(raw: RawLab, pods: PodInstance[], s: NetworkSettings, dnsIP?: string): { problems: RuleProblem[]; warnings: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const warnings: RuleProblem[] = [];
  const cidr = parseCidr(s.serviceCIDR);
  const names = new Map<string, number>();
  const clusterIPs = new Map<string, string>();
  const nodePorts = new Map<string, string>();
  let dynamic = 0;
  (raw.services ?? []).forEach((svc, i) => {
    const at: DocPath = ['services', i];
    const namespace = svc.namespace ?? DEFAULT_NAMESPACE;
    const key = `${namespace}/${svc.name}`;
    const first = names.get(key);
    // Cluster DNS's Service comes last, after the file's: a file that defines it too is told so at its own entry.
    const injected = dnsIP !== undefined && key === 'kube-system/kube-dns' && i === (raw.services ?? []).length - 1;
    if (first !== undefined && injected) {
      problems.push(
        problem(
          ['services', first, 'name'],
          "kube-system/kube-dns is cluster DNS's own Service, which netlab makes",
          'set network.dns.enabled: false to define it yourself',
        ),
      );
    } else if (first !== undefined) {
      problems.push(problem([...at, 'name'], `service "${key}" is already defined at services[${first}]`, 'a name is unique in its namespace'));
    } else names.set(key, i);
    const headless = svc.clusterIP === 'None';
    if (headless && (svc.type === 'NodePort' || svc.type === 'LoadBalancer'))
      problems.push(problem([...at, 'type'], `a headless service (clusterIP: None) cannot be a ${svc.type}`, 'give it a clusterIP, or make it type ClusterIP'));
    problems.push(...checkLoadBalancerFields(svc, at));
    // The injected Service's address is the file's network.dns.serviceIP: a problem with it is told there, not at an entry the file lacks.
    if (svc.clusterIP && !headless)
      problems.push(
        ...checkClusterIP(
          svc.clusterIP,
          injected ? ['network', 'dns', 'serviceIP'] : [...at, 'clusterIP'],
          cidr,
          clusterIPs,
          key,
          key === 'kube-system/kube-dns' ? dnsIP : undefined,
        ),
      );
    if (!svc.clusterIP) dynamic++;
    problems.push(...checkPorts(svc, at, nodePorts, key));
    const members = selected(svc, namespace, pods);
    if (svc.selector === undefined || Object.keys(svc.selector).length === 0) {
      warnings.push(problem(at, `service "${key}" has no selector, so no endpoints`, 'netlab makes endpoints from a selector only'));
    } else if (members.length === 0) {
      warnings.push(problem([...at, 'selector'], `selects no pod in namespace "${namespace}"`, 'connections to it will be rejected (no endpoints)'));
    }
    svc.ports.forEach((p, j) => {
      if (typeof p.targetPort !== 'string' || members.length === 0) return;
      const protocol = p.protocol === 'UDP' ? 'udp' : 'tcp';
      const has = members.some((m) =>
        (m.raw.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort && (cp.protocol === 'UDP' ? 'udp' : 'tcp') === protocol)),
      );
      if (!has) {
        problems.push(
          problem(
            [...at, 'ports', j, 'targetPort'],
            `no pod the service selects has a ${protocol.toUpperCase()} container port named "${p.targetPort}"`,
            "name it in a container's ports: [{name, containerPort}]",
          ),
        );
      }
    });
  });
  problems.push(...checkNodePortRoom(raw));
  const room = Number(cidr.last - cidr.first + 1n) - staticBand(cidr) - 2;
  if (dynamic > room)
    problems.push(
      problem(
        ['network', 'serviceCIDR'],
        `${cidr.text} has room for ${room} allocated ClusterIPs, and ${dynamic} services need one`,
        'use a larger serviceCIDR',
      ),
    );
  return { problems, warnings };
}

function checkClusterIP(ip: string, path: DocPath, cidr: ReturnType<typeof parseCidr>, taken: Map<string, string>, key: string, dnsIP?: string): RuleProblem[] {
  if (!containsAddress(cidr, ip)) return [problem(path, `${ip} is outside serviceCIDR ${cidr.text}`, 'a ClusterIP comes from the service network')];
  // Cluster DNS's own Service is the one that may hold the address kept for it (and no other reserved one).
  const n = addressToInt(ip);
  const reserved = ip === dnsIP && n === cidr.first + BigInt(DNS_OFFSET) ? undefined : reservedServiceAddress(cidr, n);
  if (reserved) return [problem(path, `${ip} is ${reserved}`, 'choose another address of serviceCIDR, or leave clusterIP out')];
  const holder = taken.get(ip);
  if (holder) return [problem(path, `${ip} is already the ClusterIP of service "${holder}"`)];
  taken.set(ip, key);
  return [];
}

function checkPorts(svc: RawService, at: DocPath, nodePorts: Map<string, string>, key: string): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Map<string, number>();
  const portNames = new Map<string, number>();
  svc.ports.forEach((p, j) => {
    const path: DocPath = [...at, 'ports', j];
    const protocol = p.protocol ?? 'TCP';
    if (svc.ports.length > 1 && p.name === undefined)
      problems.push(problem(path, 'needs a name: the service has more than one port', 'Kubernetes requires every port of a multi-port service to be named'));
    if (p.name !== undefined) {
      const other = portNames.get(p.name);
      if (other !== undefined) problems.push(problem([...path, 'name'], `port name "${p.name}" is already used by ports[${other}]`));
      else portNames.set(p.name, j);
    }
    const id = `${p.port}/${protocol}`;
    const twin = seen.get(id);
    if (twin !== undefined) problems.push(problem([...path, 'port'], `${id} is already ports[${twin}] of this service`));
    else seen.set(id, j);
    if (p.nodePort !== undefined) {
      if ((svc.type ?? 'ClusterIP') === 'ClusterIP')
        problems.push(problem([...path, 'nodePort'], 'a ClusterIP service has no nodePort', 'set type: NodePort or LoadBalancer, or remove nodePort'));
      const holder = nodePorts.get(`${p.nodePort}/${protocol}`);
      if (holder)
        problems.push(
          problem(
            [...path, 'nodePort'],
            `nodePort ${p.nodePort}/${protocol} is already taken by service "${holder}"`,
            'a nodePort opens on every node: one service each',
          ),
        );
      else nodePorts.set(`${p.nodePort}/${protocol}`, key);
    }
  });
  // The health check port is a TCP port on every node like a NodePort, from the same range.
  if (svc.healthCheckNodePort !== undefined) {
    const holder = nodePorts.get(`${svc.healthCheckNodePort}/tcp`);
    if (holder) problems.push(problem([...at, 'healthCheckNodePort'], `port ${svc.healthCheckNodePort}/tcp is already taken by service "${holder}"`));
    else nodePorts.set(`${svc.healthCheckNodePort}/tcp`, key);
  }
  return problems;
}

/** kube-apiserver's rules for the LoadBalancer-only fields (pkg/apis/core/validation ValidateService). */
function checkLoadBalancerFields(svc: RawService, at: DocPath): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const type = svc.type ?? 'ClusterIP';
  if (type !== 'LoadBalancer') {
    for (const field of ['loadBalancerIP', 'loadBalancerSourceRanges', 'allocateLoadBalancerNodePorts', 'healthCheckNodePort', 'annotations'] as const)
      if (svc[field] !== undefined) problems.push(problem([...at, field], `may only be used when type is 'LoadBalancer'`, `this service is type ${type}`));
    return problems;
  }
  if (svc.healthCheckNodePort !== undefined && svc.externalTrafficPolicy !== 'Local')
    problems.push(
      problem(
        [...at, 'healthCheckNodePort'],
        "may only be set when externalTrafficPolicy is 'Local'",
        'kube-proxy answers health checks only for Local services',
      ),
    );
  return problems;
}

/**
 * NodePorts allocated in file order must fit the range with the fixed ones:
 * past 32767 the allocator ran on (2,800 services validated, and `up` failed
 * at port 66479). The first port that finds the range full is named.
 */
function checkNodePortRoom(raw: RawLab): RuleProblem[] {
  const services = raw.services ?? [];
  const fixed = new Set(
    services.flatMap((s) => [
      ...s.ports.flatMap((p) => (p.nodePort !== undefined ? [p.nodePort] : [])),
      ...(s.healthCheckNodePort !== undefined ? [s.healthCheckNodePort] : []),
    ]),
  );
  const room = NODE_PORT_MAX - NODE_PORT_MIN + 1 - [...fixed].filter((p) => p >= NODE_PORT_MIN && p <= NODE_PORT_MAX).length;
  // In allocation order: each service's ports, then its health check port (LoadBalancer with externalTrafficPolicy Local).
  const dynamic = services.flatMap((svc, i): DocPath[] => [
    ...(allocatesNodePorts(svc) ? svc.ports.flatMap((p, j): DocPath[] => (p.nodePort === undefined ? [['services', i, 'ports', j]] : [])) : []),
    ...(svc.type === 'LoadBalancer' && svc.externalTrafficPolicy === 'Local' && svc.healthCheckNodePort === undefined ? [['services', i] as DocPath] : []),
  ]);
  const first = dynamic[room];
  if (first === undefined) return [];
  return [
    problem(
      first,
      `no nodePort left: ${NODE_PORT_MIN}-${NODE_PORT_MAX} has room for ${room} allocated ports, and ${dynamic.length} need one (this is the first that finds it full)`,
      'use fewer NodePort or LoadBalancer services or ports (kube-apiserver refuses the same way)',
    ),
  ];
}

function selected(svc: RawService, namespace: string, pods: PodInstance[]): PodInstance[] {
  const selector = svc.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  return pods.filter((p) => p.namespace === namespace && Object.entries(selector).every(([k, v]) => p.raw.labels?.[k] === v));
}

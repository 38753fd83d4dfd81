import { checkCni, cniModeOf } from './cni.js';
import { allocateNodeAddresses, allocateNodeSubnets } from './allocate.js';
import { allocateCalico } from './calico-ipam.js';
import { addressToInt, intToAddress, nthAddress, parseCidr, type Cidr } from './cidr.js';
import { CALICO_POD_GATEWAY, CALICO_VETH_MAC, CALICO_VXLAN_DEVICE, CALICO_VXLAN_PORT, CALICO_VXLAN_VNI, CNI_BRIDGE, FABRIC_BRIDGE } from './defaults.js';
import { calicoVethName, externalNetns, fabricNetns, nodeNetns, podNetns, stableMac, uniqueIfname } from './names.js';
import { namespacesOf } from './namespaces.js';
import { checkPolicies, resolvePolicies } from './policies.js';
import { clusterDnsOf, withClusterDns } from './dns.js';
import { assignNodes, placePods } from './place.js';
import type { RawContainer, RawLab } from './raw.js';
import { checkCalico } from './rules/calico.js';
import { checkNames } from './rules/names.js';
import { checkNetwork } from './rules/network.js';
import { problem, type RuleProblem } from './rules/problem.js';
import { checkReferences } from './rules/references.js';
import { checkServices } from './rules/services.js';
import { checkCosts } from './rules/costs.js';
import { checkTotals } from './rules/totals.js';
import { checkBgpPlacement } from './metallb-bgp.js';
import { checkGatewayTargets, checkGateways, resolveGateways, withGatewayPods } from './gateway.js';
import { checkHttpTargets, checkIngresses, ingressControllerOf, resolveIngresses, withIngressController } from './ingress.js';
import { allocateLoadBalancers, checkAnnouncerTests, checkL2Reach, checkMetalLB, checkPoolPlacement } from './metallb.js';
import { resolveServices } from './services.js';
import { expandPods, networkSettings, type NetworkSettings, type PodInstance } from './settings.js';
import type { Backend, BridgeNode, CalicoBackend, CalicoNode, Container, External, Lab, Listener, Node, Pod } from './types.js';

/** Ifnames that exist in every node namespace before any pod's veth. */
const NODE_RESERVED_IFNAMES = ['lo', 'eth0', CNI_BRIDGE];

export type ResolveResult = { ok: true; lab: Omit<Lab, 'sourceText' | 'warnings'>; warnings: RuleProblem[] } | { ok: false; problems: RuleProblem[] };

/**
 * Raw lab → Lab: the semantic rules, then defaults, allocation and names.
 * Pure and deterministic: the same file always gives the same lab.
 */
export function resolveLab(file: RawLab, source: string): ResolveResult {
  const totals = checkTotals(file);
  if (totals.length > 0) return { ok: false, problems: totals };
  const settings = networkSettings(file);
  // Cluster DNS's pods and Service join the lab like any others, after the file's own.
  const dns = clusterDnsOf(file, settings.serviceCIDR);
  const withDns = dns ? withClusterDns(file, dns) : { raw: file, dnsPods: undefined };
  const dnsPods = withDns.dnsPods;
  // ingress-nginx's controller pods and Service come after DNS's, like any others.
  const withController = withIngressController(withDns.raw);
  const controllerPods = withController.controllerPods;
  // NGINX Gateway Fabric's nginx pods and Services, one per Gateway, last.
  const { raw, gatewayPods } = withGatewayPods(withController.raw);
  const instances = expandPods(raw);
  const services = checkServices(raw, instances, settings, dns?.serviceIP);
  const metallb = checkMetalLB(raw);
  const loadBalancers = allocateLoadBalancers(raw, metallb.metallb);
  const problems: RuleProblem[] = [
    ...checkNetwork(raw, settings),
    ...checkCalico(raw, settings),
    ...checkCni(raw),
    ...checkNames(raw, instances),
    ...checkReferences(raw, instances, settings),
    ...services.problems,
    ...metallb.problems,
    ...loadBalancers.problems,
    ...checkAnnouncerTests(raw, metallb.metallb, loadBalancers.allocations),
    ...checkPolicies(raw),
    ...checkIngresses(raw),
    ...checkHttpTargets(raw),
    ...checkGateways(raw),
    ...checkGatewayTargets(raw),
  ];
  // What planning and testing will cost, counted only for a lab whose references hold.
  if (problems.length === 0) problems.push(...checkCosts(raw, instances, dnsPods));
  // Allocation assumes the rules hold (e.g. a node a pod names exists).
  if (problems.length > 0) return { ok: false, problems };

  const addresses = allocateNodeAddresses(raw.nodes, settings.underlayCIDR, problems);
  const wiring = settings.backend === 'calico' ? calicoWiring(raw, instances, settings, problems) : bridgeWiring(raw, instances, settings, problems);
  if (problems.length > 0) return { ok: false, problems };

  const lab = raw.name;
  // MACs and interface names come from the objects alone, not the lab's name:
  // each lab is an L2 world of its own, so the same lab looks the same under
  // any name (a student's two-node and a test's copy of it print alike).
  const fabricTaken = new Set<string>([FABRIC_BRIDGE, 'lo']);
  const nodes: Node[] = raw.nodes.map((n, i) => ({
    name: n.name,
    netns: nodeNetns(lab, n.name),
    address: addresses[i]!,
    mac: stableMac(`node/${n.name}/eth0`),
    fabricPort: uniqueIfname(fabricTaken, `fabric/${n.name}`, 'nd', n.name),
    fabricPortMac: stableMac(`fabric/${n.name}`),
    ...wiring.nodes[i]!,
  }));

  const podMTU = settings.mtu ?? settings.underlayMTU - settings.overhead;
  const pods: Pod[] = instances.map((inst, i) => {
    const node = nodes[wiring.pods[i]!.node]!;
    return {
      name: inst.name,
      podName: inst.podName,
      namespace: inst.namespace,
      ready: inst.raw.ready ?? true,
      dnsPolicy: inst.raw.dnsPolicy ?? 'ClusterFirst',
      ...(inst.raw === dnsPods
        ? { system: 'dns' as const }
        : inst.raw === controllerPods
          ? { system: 'ingress' as const }
          : gatewayPods.includes(inst.raw)
            ? { system: 'gateway' as const }
            : {}),
      template: inst.raw.name,
      node: node.name,
      netns: podNetns(lab, inst.name),
      ...wiring.pods[i]!.wiring,
      mac: stableMac(`pod/${inst.name}/eth0`),
      labels: { ...(inst.raw.labels ?? {}) },
      containers: containersOf(inst.raw.containers),
    };
  });
  const collision = calicoVethCollision(pods);
  if (collision) return { ok: false, problems: [collision] };

  const underlay = parseCidr(settings.underlayCIDR);
  const wantsExternal = (raw.services ?? []).length > 0 || (raw.metallb?.bgpPeers ?? []).length > 0 || JSON.stringify(raw.tests ?? []).includes('"external"');
  if (wantsExternal && externalAddress(parseCidr(settings.underlayCIDR), addresses) === undefined) {
    const hint = 'the outside client (for NodePorts and `external` tests) needs a free address of the node network: widen network.underlay.cidr';
    return {
      ok: false,
      problems: [problem(['network', 'underlay', 'cidr'], `${parseCidr(settings.underlayCIDR).text} has no address left after the nodes`, hint)],
    };
  }
  const placement = checkPoolPlacement(metallb.metallb, [
    ...raw.nodes.map((n, i) => ({ what: `node ${n.name}'s address ${addresses[i]!}`, first: addressToInt(addresses[i]!), last: addressToInt(addresses[i]!) })),
    ...(wantsExternal
      ? [
          {
            what: `the outside client's address ${externalAddress(underlay, addresses)!}`,
            first: addressToInt(externalAddress(underlay, addresses)!),
            last: addressToInt(externalAddress(underlay, addresses)!),
          },
        ]
      : []),
    { what: `the pod network ${parseCidr(settings.podCIDR).text}`, ...parseCidr(settings.podCIDR) },
    { what: `the service network ${parseCidr(settings.serviceCIDR).text}`, ...parseCidr(settings.serviceCIDR) },
  ]);
  placement.push(...checkL2Reach(metallb.metallb, underlay));
  placement.push(...checkBgpPlacement(raw, metallb.metallb?.bgpPeers ?? [], wantsExternal ? externalAddress(underlay, addresses) : undefined));
  if (placement.length > 0) return { ok: false, problems: placement };
  const external: External | undefined = !wantsExternal
    ? undefined
    : {
        name: 'external',
        netns: externalNetns(lab),
        address: externalAddress(underlay, addresses)!,
        mac: stableMac('external/eth0'),
        fabricPort: uniqueIfname(fabricTaken, 'fabric/external', 'nd', 'external'),
        fabricPortMac: stableMac('fabric/external'),
      };

  const resolved = resolveServices(raw, pods, settings.serviceCIDR, loadBalancers.allocations);
  return {
    ok: true,
    warnings: services.warnings,
    lab: {
      name: lab,
      description: raw.description ?? '',
      source,
      network: {
        podCIDR: parseCidr(settings.podCIDR).text,
        nodeSubnetSize: settings.nodeSubnetSize,
        serviceCIDR: parseCidr(settings.serviceCIDR).text,
        underlay: { cidr: parseCidr(settings.underlayCIDR).text, prefix: parseCidr(settings.underlayCIDR).prefix, mtu: settings.underlayMTU },
        podMTU,
        backend: backendOf(settings, nodes, wiring.tunnels),
        cni: cniModeOf(raw, source),
        kubeProxy: { mode: raw.network?.kubeProxy?.mode ?? 'nftables' },
      },
      fabric: { netns: fabricNetns(lab), bridge: FABRIC_BRIDGE },
      external,
      namespaces: namespacesOf(raw),
      dns,
      nodes,
      pods,
      services: resolved,
      metallb: metallb.metallb,
      policies: resolvePolicies(raw),
      ingress: { controller: ingressControllerOf(raw, resolved, pods, nodes), ingresses: resolveIngresses(raw, resolved) },
      gateway: resolveGateways(raw, resolved, pods, nodes),
      tests: file.tests ?? [],
    },
  };
}

function backendOf(s: NetworkSettings, nodes: Node[], tunnels: Array<string | undefined>): Backend {
  if (s.backend === 'host-gw') return { kind: 'host-gw' };
  if (s.backend === 'calico') return calicoBackendOf(s, nodes, tunnels);
  const device = `flannel.${s.vni}`;
  return {
    kind: 'vxlan',
    vni: s.vni,
    port: s.vxlanPort,
    device,
    mtu: s.underlayMTU - s.overhead,
    vteps: nodes.flatMap((n) =>
      n.kind === 'bridge' ? [{ node: n.name, mac: stableMac(`node/${n.name}/${device}`), address: nthAddress(parseCidr(n.podSubnet), 0) }] : [],
    ),
  };
}

function calicoBackendOf(s: NetworkSettings, nodes: Node[], tunnels: Array<string | undefined>): CalicoBackend {
  const mtu = s.underlayMTU - s.overhead;
  const common = { kind: 'calico' as const, asNumber: s.calico.asNumber, blockSize: s.calico.blockSize, routeReflector: s.calico.routeReflector };
  switch (s.calico.encapsulation) {
    case 'none':
      return { ...common, encapsulation: { kind: 'none' } };
    case 'vxlan': {
      const vteps = nodes.map((n, i) => ({ node: n.name, mac: stableMac(`node/${n.name}/${CALICO_VXLAN_DEVICE}`), address: tunnels[i]! }));
      return { ...common, encapsulation: { kind: 'vxlan', device: CALICO_VXLAN_DEVICE, vni: CALICO_VXLAN_VNI, port: CALICO_VXLAN_PORT, mtu, vteps } };
    }
    case 'ipip':
      return { ...common, encapsulation: { kind: 'ipip', device: 'tunl0', mtu, tunnels: nodes.map((n, i) => ({ node: n.name, address: tunnels[i]! })) } };
  }
}

type NodeWiring = Pick<BridgeNode, 'kind' | 'podSubnet' | 'podPrefix' | 'gateway' | 'bridge' | 'bridgeMac'> | Pick<CalicoNode, 'kind' | 'blocks'>;
type PodWiring = Pick<Pod, 'ip' | 'prefix' | 'gateway' | 'hostVeth' | 'hostVethMac'>;

/** How pods attach to nodes, and the addresses each side holds. */
interface Wiring {
  nodes: NodeWiring[];
  pods: Array<{ node: number; wiring: PodWiring }>;
  /** Calico's tunnel addresses, per node. */
  tunnels: Array<string | undefined>;
}

/** flannel's delegation to the CNI bridge plugin: a subnet and cni0 per node, host-local IPAM, veth ports. */
function bridgeWiring(raw: RawLab, instances: PodInstance[], settings: NetworkSettings, problems: RuleProblem[]): Wiring {
  const subnets = allocateNodeSubnets(raw.nodes, settings.podCIDR, settings.nodeSubnetSize, problems);
  const placements = placePods(
    instances,
    raw.nodes.map((n, i) => ({ name: n.name, subnet: subnets[i]! })),
    problems,
  );
  const nodes = raw.nodes.map((n, i) => ({
    kind: 'bridge' as const,
    podSubnet: subnets[i]!.text,
    podPrefix: subnets[i]!.prefix,
    gateway: nthAddress(subnets[i]!, 1),
    bridge: CNI_BRIDGE,
    bridgeMac: stableMac(`node/${n.name}/${CNI_BRIDGE}`),
  }));
  const ifnamesByNode = nodes.map(() => new Set(NODE_RESERVED_IFNAMES));
  const pods = instances.map((inst, i) => {
    const place = placements[i]!;
    const node = nodes[place.node]!;
    return {
      node: place.node,
      wiring: {
        ip: place.ip,
        prefix: node.podPrefix,
        gateway: node.gateway,
        hostVeth: uniqueIfname(ifnamesByNode[place.node]!, `pod/${inst.name}`, 'veth'),
        hostVethMac: stableMac(`pod/${inst.name}/host`),
      },
    };
  });
  return { nodes, pods, tunnels: nodes.map(() => undefined) };
}

/** Calico's CNI plugin and IPAM: blocks per node, a /32 per pod behind a `cali` veth, 169.254.1.1 as gateway. */
function calicoWiring(raw: RawLab, instances: PodInstance[], settings: NetworkSettings, problems: RuleProblem[]): Wiring {
  const nodeOf = assignNodes(
    instances,
    raw.nodes.map((n) => n.name),
  );
  const { blockSize, encapsulation } = settings.calico;
  const ipam = allocateCalico(instances, nodeOf, raw.nodes.length, settings.podCIDR, blockSize, encapsulation !== 'none', problems);
  const pods = instances.map((inst, i) => ({
    node: nodeOf[i]!,
    wiring: {
      ip: ipam.ips[i]!,
      prefix: 32,
      gateway: CALICO_POD_GATEWAY,
      hostVeth: calicoVethName(inst.namespace, inst.podName),
      hostVethMac: CALICO_VETH_MAC,
    },
  }));
  return { nodes: ipam.blocks.map((blocks) => ({ kind: 'calico' as const, blocks: blocks.map((b) => b.text) })), pods, tunnels: ipam.tunnels };
}

/** Two pods of one node whose names hash to the same `cali` veth: the second veth could not be made. */
function calicoVethCollision(pods: Pod[]): RuleProblem | undefined {
  const seen = new Map<string, Pod>();
  for (const pod of pods.filter((p) => p.hostVeth.startsWith('cali'))) {
    const key = `${pod.node}/${pod.hostVeth}`;
    const other = seen.get(key);
    if (other) return problem(['pods'], `pods "${other.name}" and "${pod.name}" both get the veth ${pod.hostVeth} on node "${pod.node}"`, 'rename one of them');
    seen.set(key, pod);
  }
  return undefined;
}

/** netlab's `listen` shorthand and Kubernetes' `ports`, served alike; a named port keeps its name. */
function containersOf(raw: RawContainer[] | undefined): Container[] {
  return (raw ?? []).map((c) => ({
    name: c.name,
    listen: [
      ...(c.listen ?? []).map((spec): Listener => {
        const [port, protocol] = spec.split('/');
        return { port: Number(port), protocol: protocol === 'udp' ? 'udp' : 'tcp' };
      }),
      ...(c.ports ?? []).map((p): Listener => ({
        port: p.containerPort,
        protocol: p.protocol === 'UDP' ? 'udp' : 'tcp',
        ...(p.name ? { name: p.name } : {}),
        ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
      })),
    ],
  }));
}

/** The outside client takes the highest free address of the node network (a laptop on the nodes' LAN). */
function externalAddress(underlay: Cidr, nodeAddresses: string[]): string | undefined {
  const taken = new Set(nodeAddresses);
  for (let n = underlay.last - 1n; n > underlay.first; n--) if (!taken.has(intToAddress(n))) return intToAddress(n);
  return undefined;
}

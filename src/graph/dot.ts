import { routerRoutes } from '../lab/bgp-announcements.js';
import { l2Announcements, l2Election } from '../lab/l2-election.js';
import { podRangesOf } from '../lab/node-pods.js';
import type { Lab, Node, Pod, Vtep } from '../lab/types.js';

/** Past this many pods on a node, the picture shows the first ones and a count. */
const MAX_PODS_SHOWN = 8;

const COLORS = {
  fabric: '#dbe7f5',
  node: '#f5f7fa',
  nodeBorder: '#7f8fa6',
  eth0: '#dbe7f5',
  bridge: '#dff0d8',
  vtep: '#fbe3c4',
  pod: '#ffffff',
  tunnel: '#d9822b',
  route: '#2f5d95',
  routes: '#eef3fb',
};

/** Past this many nodes, tunnels between every pair would hide the picture. */
const MAX_TUNNEL_NODES = 4;

/**
 * The lab as Graphviz DOT: the fabric at the bottom, each node a box with
 * eth0, cni0 and (VXLAN) flannel.1, pods on top with their addresses and the
 * veth that plugs them into cni0, and the tunnels or routes between nodes.
 * Pure: the same lab always gives the same text.
 */
export function labToDot(lab: Lab): string {
  const backend = lab.network.backend;
  const title =
    backend.kind === 'vxlan'
      ? `${lab.name}: flannel VXLAN (${backend.device}, VNI ${backend.vni}, UDP ${backend.port}), pod MTU ${lab.network.podMTU}`
      : backend.kind === 'calico'
        ? `${lab.name}: Calico, BGP AS ${backend.asNumber} (${backend.routeReflector ? `route reflector ${backend.routeReflector}` : 'full mesh'}), encapsulation ${backend.encapsulation.kind}, pod MTU ${lab.network.podMTU}`
        : `${lab.name}: flannel host-gw (routes via node addresses), pod MTU ${lab.network.podMTU}`;
  const out = [
    'digraph netlab {',
    `  graph [label=${q(`${title}\npods ${lab.network.podCIDR} · services ${lab.network.serviceCIDR}`)}, labelloc=t, fontsize=18, fontname="Helvetica", rankdir=TB, nodesep=0.35, ranksep=0.45, newrank=true, ordering=out, bgcolor="white"];`,
    `  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="${COLORS.pod}", color="#5a6b80"];`,
    '  edge [fontname="Helvetica", fontsize=9, color="#5a6b80", arrowhead=none];',
    `  fabric [label=${q(`fabric · bridge ${lab.fabric.bridge}\nunderlay ${lab.network.underlay.cidr} · MTU ${lab.network.underlay.mtu}`)}, fillcolor="${COLORS.fabric}", width=${Math.max(4, lab.nodes.length * 2.6)}, height=0.6, fontsize=12];`,
  ];
  // concat, not push(...lines): a spread of 200,000 lines overflowed the call stack (exit 70 on a valid lab).
  const all = out.concat(...lab.nodes.map((node) => nodeCluster(lab, node)), crossNodeEdges(lab), serviceNodes(lab), ['}']);
  return `${all.join('\n')}\n`;
}

function nodeCluster(lab: Lab, node: Node): string[] {
  const id = ident(node.name);
  const backend = lab.network.backend;
  const pods = lab.pods.filter((p) => p.node === node.name);
  const shown = pods.slice(0, MAX_PODS_SHOWN);
  const lines = [
    `  subgraph cluster_${id} {`,
    `    label=${q(`node ${node.name} · ${node.netns}`)}; fontsize=13; style="rounded,filled"; fillcolor="${COLORS.node}"; color="${COLORS.nodeBorder}";`,
    `    ${id}_eth0 [label=${q(`eth0 ${node.address}\nMTU ${lab.network.underlay.mtu}`)}, fillcolor="${COLORS.eth0}"];`,
    `    ${id}_cni0 [label=${q(podHubLabel(node))}, fillcolor="${COLORS.bridge}"];`,
  ];
  const vteps = vtepsOf(lab);
  if (vteps) {
    const vtep = vteps.list.find((v) => v.node === node.name)!;
    lines.push(`    ${id}_vtep [label=${q(`${vteps.device} ${vtep.address}/32\nVTEP ${vtep.mac}`)}, fillcolor="${COLORS.vtep}"];`);
  }
  for (const pod of shown) lines.push(`    ${podId(pod)} [label=${q(`${pod.name}\n${pod.ip} · eth0`)}];`);
  if (pods.length > shown.length) lines.push(`    ${id}_more [label=${q(`… ${pods.length - shown.length} more pods`)}, style="rounded,dashed"];`);
  for (const pod of shown) lines.push(`    ${podId(pod)} -> ${id}_cni0 [label=${q(pod.hostVeth)}];`);
  if (pods.length > shown.length) lines.push(`    ${id}_more -> ${id}_cni0 [style=dashed];`);
  if (vteps) {
    lines.push(`    ${id}_cni0 -> ${id}_vtep [style=invis];`, `    ${id}_vtep -> ${id}_eth0 [style=dotted, label="dev eth0"];`);
  } else {
    // host-gw's and Calico's whole mechanism is these routes: one per other node's range, via its address.
    const learned = backend.kind === 'calico' ? ' proto bird' : '';
    const routes = lab.nodes.filter((n) => n.name !== node.name).flatMap((n) => podRangesOf(n).map((r) => `${r} via ${n.address}${learned}`));
    const title = backend.kind === 'calico' ? `routes learned over BGP (AS ${backend.asNumber})` : 'routes (ip_forward=1)';
    lines.push(
      `    ${id}_routes [label=${q(`${title}\n${routes.join('\n')}`)}, shape=note, fillcolor="${COLORS.routes}", fontcolor="${COLORS.route}"];`,
      `    ${id}_cni0 -> ${id}_routes [style=invis];`,
      `    ${id}_routes -> ${id}_eth0 [style=dotted, label="dev eth0"];`,
    );
  }
  lines.push('  }', `  ${id}_eth0 -> fabric [label=${q(`veth ⇄ ${node.fabricPort}`)}];`);
  return lines;
}

function crossNodeEdges(lab: Lab): string[] {
  const vteps = vtepsOf(lab);
  const lines: string[] = [];
  if (!vteps || lab.nodes.length > MAX_TUNNEL_NODES) return lines;
  for (let i = 0; i < lab.nodes.length; i++) {
    for (let j = i + 1; j < lab.nodes.length; j++) {
      const a = lab.nodes[i]!;
      const b = lab.nodes[j]!;
      lines.push(
        `  ${ident(a.name)}_vtep -> ${ident(b.name)}_vtep [dir=both, arrowhead=normal, arrowtail=normal, style=dashed, color="${COLORS.tunnel}", fontcolor="${COLORS.tunnel}", constraint=false, label=${q(`VXLAN VNI ${vteps.vni}\nUDP ${vteps.port}`)}];`,
      );
    }
  }
  return lines;
}

function podId(pod: Pod): string {
  return `pod_${ident(pod.name)}`;
}

/** DOT identifiers: names are DNS labels, or NAMESPACE/NAME for pods outside default. */
function ident(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Services are rules, not devices: each is a note above the nodes, with its
 * ClusterIP, ports and NodePort, and a dashed edge to each endpoint drawn.
 * The outside client hangs off the fabric.
 */
function serviceNodes(lab: Lab): string[] {
  const lines: string[] = [];
  if (lab.external) {
    lines.push(
      `  external [label=${q(`external client\n${lab.external.address} · eth0`)}, fillcolor="${COLORS.fabric}"];`,
      `  external -> fabric [label=${q(`veth ⇄ ${lab.external.fabricPort}`)}];`,
    );
  }
  const drawn = new Set(
    lab.nodes.flatMap((n) =>
      lab.pods
        .filter((p) => p.node === n.name)
        .slice(0, MAX_PODS_SHOWN)
        .map((p) => p.name),
    ),
  );
  for (const svc of lab.services) {
    const id = `svc_${ident(svc.ref)}`;
    const ports = svc.ports.map((p) => `${p.port}/${p.protocol}${p.nodePort !== undefined ? ` · NodePort ${p.nodePort}` : ''}`).join('\n');
    const address = [
      svc.clusterIP ?? 'headless (no ClusterIP)',
      ...(svc.loadBalancerIPs.length > 0 ? [`LoadBalancer ${svc.loadBalancerIPs.join(', ')}${svc.addressPool ? ` (pool ${svc.addressPool})` : ''}`] : []),
    ].join('\n');
    lines.push(
      `  ${id} [label=${q(`service ${svc.ref} (${svc.type})\n${address}\n${ports}\nkube-proxy rules in every node`)}, shape=note, fillcolor="${COLORS.routes}", fontcolor="${COLORS.route}"];`,
    );
    // A Service selecting thousands of pods gets a few arrows and a count: every one would hide the picture.
    const endpoints = [...new Set(svc.ports.flatMap((p) => p.endpoints.map((e) => e.pod)))];
    const shown = endpoints.filter((pod) => drawn.has(pod)).slice(0, MAX_PODS_SHOWN);
    for (const pod of shown) lines.push(`  ${id} -> pod_${ident(pod)} [style=dashed, color="${COLORS.route}", arrowhead=normal, constraint=false];`);
    if (endpoints.length > shown.length)
      lines.push(
        `  ${id}_more [label=${q(`… ${endpoints.length - shown.length} more endpoints`)}, shape=plaintext, fontcolor="${COLORS.route}"];`,
        `  ${id} -> ${id}_more [style=dotted, color="${COLORS.route}", constraint=false];`,
      );
  }
  lines.push(...announcerEdges(lab), ...bgpPathEdges(lab), ...ingressRouteEdges(lab), ...gatewayRouteEdges(lab));
  return lines;
}

/**
 * Gateway API: for each Gateway, an edge from its Service to each backend
 * Service per accepted route match (hostname and path; weights when split).
 */
function gatewayRouteEdges(lab: Lab): string[] {
  const lines: string[] = [];
  for (const g of lab.gateway.gateways.filter((x) => x.served && x.service)) {
    const from = `svc_${ident(g.service)}`;
    const edges = g.servers.flatMap((s) =>
      s.matches.flatMap((m) =>
        m.action.kind === 'proxy'
          ? m.action.backends
              .filter((b) => b.service !== '')
              .map((b) => ({
                label: `${s.hostname || '*'} ${m.path.type === 'Exact' ? '= ' : m.path.type === 'RegularExpression' ? '~ ' : ''}${m.path.value}${m.headers.length ? ` [${m.headers.map(([n, v]) => `${n}: ${v}`).join(', ')}]` : ''}${m.action.kind === 'proxy' && m.action.backends.length > 1 ? ` (weight ${b.weight})` : ''}`,
                to: b.service,
              }))
          : [],
      ),
    );
    const unique = [...new Map(edges.map((e) => [`${e.label}>${e.to}`, e])).values()];
    lines.push(
      ...unique
        .slice(0, MAX_ROUTES_SHOWN)
        .map(
          (e) => `  ${from} -> svc_${ident(e.to)} [label=${q(e.label)}, style=bold, color="${COLORS.route}", fontcolor="${COLORS.route}", constraint=false];`,
        ),
    );
    if (unique.length > MAX_ROUTES_SHOWN)
      lines.push(
        `  ${from}_routes [label=${q(`… ${unique.length - MAX_ROUTES_SHOWN} more routes`)}, shape=plaintext, fontcolor="${COLORS.route}"];`,
        `  ${from} -> ${from}_routes [style=dotted, color="${COLORS.route}", constraint=false];`,
      );
  }
  return lines;
}

/** Routes drawn per Ingress before the rest are counted: a picture, not a listing. */
const MAX_ROUTES_SHOWN = 24;

/**
 * Ingress: the routes nginx serves, as edges from the controller's Service to
 * each backend Service, labelled with host, path and path type (an Ingress of
 * a class no controller has draws nothing: it is not served).
 */
function ingressRouteEdges(lab: Lab): string[] {
  const controller = lab.ingress.controller;
  if (!controller) return [];
  const from = `svc_${ident(controller.service)}`;
  const routes = lab.ingress.ingresses
    .filter((i) => i.served)
    .flatMap((i) => [
      ...i.rules.flatMap((r) => r.paths.map((p) => ({ label: `${r.host || '*'} ${p.pathType === 'Exact' ? '= ' : ''}${p.path}`, to: p.backend.service }))),
      ...(i.defaultBackend ? [{ label: `${i.ref}: default backend`, to: i.defaultBackend.service }] : []),
    ]);
  const lines = routes
    .slice(0, MAX_ROUTES_SHOWN)
    .map((r) => `  ${from} -> svc_${ident(r.to)} [label=${q(r.label)}, style=bold, color="${COLORS.route}", fontcolor="${COLORS.route}", constraint=false];`);
  if (routes.length > MAX_ROUTES_SHOWN)
    lines.push(
      `  ${from}_routes [label=${q(`… ${routes.length - MAX_ROUTES_SHOWN} more routes`)}, shape=plaintext, fontcolor="${COLORS.route}"];`,
      `  ${from} -> ${from}_routes [style=dotted, color="${COLORS.route}", constraint=false];`,
    );
  return lines;
}

/** MetalLB BGP: for each prefix the router learned, an edge to each node it sends it to (its ECMP next hops). */
function bgpPathEdges(lab: Lab): string[] {
  if (!lab.external) return [];
  const routes = [...routerRoutes(lab)];
  return routes.flatMap(([prefix, nodes]) =>
    nodes.map((node) => {
      const why = `BGP ${prefix} via ${node}${nodes.length > 1 ? `\n(ECMP, 1 of ${nodes.length})` : ''}`;
      return `  external -> ${ident(node)}_eth0 [label=${q(why)}, style=dashed, color="${COLORS.route}", fontcolor="${COLORS.route}", constraint=false];`;
    }),
  );
}

/** MetalLB L2: for each announced address, an edge from the outside client to the node whose speaker answers its ARP. */
function announcerEdges(lab: Lab): string[] {
  if (!lab.external) return [];
  const all = new Set(lab.nodes.map((n) => n.name));
  return l2Announcements(lab).flatMap((a) => {
    const { owner, candidates } = l2Election(a, all);
    if (owner === undefined) return [];
    const why = `ARP ${a.ip}? ${owner} answers\n(first of ${candidates.join(', ')} by sha256(node#ip))`;
    return [`  external -> ${ident(owner)}_eth0 [label=${q(why)}, style=dashed, color="${COLORS.route}", fontcolor="${COLORS.route}", constraint=false];`];
  });
}

function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** What the pods plug into: cni0 with its gateway (flannel), or the node's routing table, answered by proxy ARP (Calico). */
function podHubLabel(node: Node): string {
  if (node.kind === 'bridge') return `${node.bridge} ${node.gateway}/${node.podPrefix}\npod subnet ${node.podSubnet}`;
  return `no bridge: a /32 route per pod, proxy ARP\nblocks ${node.blocks.join(', ') || '(none yet)'}`;
}

/** The lab's VXLAN tunnel endpoints, flannel's or Calico's, if it has any. */
function vtepsOf(lab: Lab): { device: string; vni: number; port: number; list: Vtep[] } | undefined {
  const b = lab.network.backend;
  if (b.kind === 'vxlan') return { device: b.device, vni: b.vni, port: b.port, list: b.vteps };
  if (b.kind === 'calico' && b.encapsulation.kind === 'vxlan')
    return { device: b.encapsulation.device, vni: b.encapsulation.vni, port: b.encapsulation.port, list: b.encapsulation.vteps };
  return undefined;
}

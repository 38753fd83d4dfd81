import type { Lab } from '../lab/types.js';

/** Tunnels are drawn between every pair of nodes up to this many nodes. */
const MAX_TUNNEL_NODES = 4;
/** Arrows from a Service to its endpoints; past that, a count. */
const MAX_ENDPOINTS_SHOWN = 8;

/**
 * The lab as a Mermaid flowchart, for Markdown that renders it (GitHub,
 * GitLab): nodes as subgraphs, pods plugged into cni0, the fabric below.
 */
export function labToMermaid(lab: Lab): string {
  const backend = lab.network.backend;
  const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = ['flowchart TB'];
  lines.push(`  fabric["fabric · bridge ${lab.fabric.bridge}<br/>${lab.network.underlay.cidr}"]`);
  for (const node of lab.nodes) {
    const n = id(node.name);
    lines.push(`  subgraph ${n}["node ${node.name}"]`, `    direction TB`);
    for (const pod of lab.pods.filter((p) => p.node === node.name)) lines.push(`    ${n}_${id(pod.name)}["${pod.name}<br/>${pod.ip}"]`);
    lines.push(
      node.kind === 'bridge' ? `    ${n}_cni0["${node.bridge} ${node.gateway}/${node.podPrefix}"]` : `    ${n}_cni0["routes: /32 per pod, proxy ARP"]`,
    );
    if (backend.kind === 'vxlan') {
      const vtep = backend.vteps.find((v) => v.node === node.name)!;
      lines.push(`    ${n}_vtep["${backend.device} ${vtep.address}/32"]`);
    }
    lines.push(`    ${n}_eth0["eth0 ${node.address}"]`, '  end');
    for (const pod of lab.pods.filter((p) => p.node === node.name)) lines.push(`  ${n}_${id(pod.name)} ---|${pod.hostVeth}| ${n}_cni0`);
    lines.push(backend.kind === 'vxlan' ? `  ${n}_cni0 --- ${n}_vtep --- ${n}_eth0` : `  ${n}_cni0 --- ${n}_eth0`, `  ${n}_eth0 --- fabric`);
  }
  // Past a few nodes a tunnel between every pair hides the picture (256 nodes: 32,640 lines), as in the DOT picture.
  if (backend.kind === 'vxlan' && lab.nodes.length <= MAX_TUNNEL_NODES) {
    for (let i = 0; i < lab.nodes.length; i++) {
      for (let j = i + 1; j < lab.nodes.length; j++)
        lines.push(`  ${id(lab.nodes[i]!.name)}_vtep <-.->|VXLAN VNI ${backend.vni}| ${id(lab.nodes[j]!.name)}_vtep`);
    }
  }
  if (lab.external) lines.push(`  external["external client<br/>${lab.external.address}"] --- fabric`);
  for (const svc of lab.services) {
    const s = `svc_${id(svc.ref)}`;
    lines.push(`  ${s}{{"service ${svc.ref}<br/>${svc.clusterIP ?? 'headless'}"}}`);
    // A few arrows and a count: a Service over thousands of pods drew an arrow to each.
    const endpoints = [...new Set(svc.ports.flatMap((p) => p.endpoints.map((x) => `${id(x.node)}_${id(x.pod)}`)))];
    for (const target of endpoints.slice(0, MAX_ENDPOINTS_SHOWN)) lines.push(`  ${s} -.-> ${target}`);
    if (endpoints.length > MAX_ENDPOINTS_SHOWN) lines.push(`  ${s} -.-> ${s}_more["… ${endpoints.length - MAX_ENDPOINTS_SHOWN} more endpoints"]`);
  }
  return `${lines.join('\n')}\n`;
}

import type { Lab } from '../lab/types.js';

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
  if (backend.kind === 'vxlan') {
    for (let i = 0; i < lab.nodes.length; i++) {
      for (let j = i + 1; j < lab.nodes.length; j++)
        lines.push(`  ${id(lab.nodes[i]!.name)}_vtep <-.->|VXLAN VNI ${backend.vni}| ${id(lab.nodes[j]!.name)}_vtep`);
    }
  }
  if (lab.external) lines.push(`  external["external client<br/>${lab.external.address}"] --- fabric`);
  for (const svc of lab.services) {
    const s = `svc_${id(svc.ref)}`;
    lines.push(`  ${s}{{"service ${svc.ref}<br/>${svc.clusterIP ?? 'headless'}"}}`);
    for (const e of new Set(svc.ports.flatMap((p) => p.endpoints.map((x) => x.pod)))) {
      const pod = lab.pods.find((p) => p.name === e)!;
      lines.push(`  ${s} -.-> ${id(pod.node)}_${id(pod.name)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

import type { Lab } from '../lab/types.js';
import type { LabStatus } from '../lifecycle/status.js';

/**
 * The picture `netlab ui` draws: the README's diagram laid out as boxes
 * (fabric on top, each node with eth0, its overlay device and its pod hub,
 * the pods plugged into it, the Services below), each box named by an id
 * the page, the drift and the trace's hops all use. Pure: the same lab and
 * status give the same picture, so it is tested without a browser.
 */
export interface Picture {
  lab: string;
  title: string;
  width: number;
  height: number;
  boxes: Box[];
  /** Wires: a pod's veth into its node's hub, a node's eth0 to the fabric. */
  wires: Wire[];
}

export type BoxKind = 'fabric' | 'external' | 'node' | 'device' | 'pod' | 'pods' | 'service';

export interface Box {
  /** `fabric`, `external`, `node/N`, `node/N/DEV`, `node/N/pods`, `pod/P`, `service/S`. */
  id: string;
  kind: BoxKind;
  label: string;
  /** A second line: an address, a subnet, a count. */
  detail: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The node box a device or pod sits in. */
  parent?: string;
  /** NetworkPolicies isolating a pod; a Service's type. */
  badges: string[];
  /** What differs from the plan here, in `status`'s words (empty when all is well). */
  drift: string[];
}

export interface Wire {
  from: string;
  to: string;
  label: string;
}

/** Pods drawn one by one up to this many in the lab; past it, each node is a count (a 10,000-pod lab stays readable). */
export const MAX_PODS_DRAWN = 300;
/** Pods drawn in one node before the rest become a count. */
const MAX_PODS_PER_NODE = 24;
const NODES_PER_ROW = 4;
const POD_COLUMNS = 2;
const POD = { w: 150, h: 46 };
const DEVICE_H = 34;
const GAP = 12;
const PAD = 12;
const TITLE = 40;
const MARGIN = 20;
const FABRIC_H = 44;
const SERVICE = { w: 180, h: 44 };

/** The box a place of `status` belongs to: a node, a pod, the fabric. `where` is `node node1`, `pod pod1`, `fabric`. */
export function boxOfPlace(where: string): string {
  const m = /^(node|pod) (.+)$/.exec(where);
  return m ? `${m[1]}/${m[2]}` : where;
}

export function picture(lab: Lab, status: LabStatus): Picture {
  const boxes: Box[] = [];
  const wires: Wire[] = [];
  const driftOf = driftByBox(status);
  const pods = status.pods.length > 0 ? status.pods : lab.pods.map((p) => ({ name: p.name, node: p.node, ip: p.ip, hostVeth: p.hostVeth }));
  const drawPods = pods.length <= MAX_PODS_DRAWN;
  const isolating = new Map<string, string[]>();
  for (const policy of status.policies) for (const pod of policy.isolates) isolating.set(pod, [...(isolating.get(pod) ?? []), policy.name]);

  const nodeBoxes: Box[][] = [];
  for (const node of lab.nodes) {
    const live = status.nodes.find((n) => n.name === node.name);
    const mine = pods.filter((p) => p.node === node.name);
    const shown = drawPods ? mine.slice(0, MAX_PODS_PER_NODE) : [];
    const devices: Array<{ name: string; detail: string }> = [{ name: 'eth0', detail: node.address }];
    const overlay = overlayOf(lab, node.name);
    if (overlay) devices.push(overlay);
    devices.push(
      node.kind === 'bridge'
        ? { name: node.bridge, detail: `${node.gateway}/${node.podPrefix}` }
        : { name: 'cali* veths', detail: `${live?.podSubnet ?? ''} · proxy ARP`.trim() },
    );
    const counted = mine.length - shown.length;
    const cells = shown.length + (counted > 0 ? 1 : 0);
    const rows = Math.ceil(cells / POD_COLUMNS);
    const innerW = POD_COLUMNS * POD.w + (POD_COLUMNS - 1) * GAP;
    const h = TITLE + devices.length * (DEVICE_H + 8) + (rows > 0 ? GAP + rows * (POD.h + GAP) : 0) + PAD;
    const group: Box[] = [];
    const nodeId = `node/${node.name}`;
    // A node's BGP sessions (Calico's mesh, MetalLB's speakers) as a badge: how many are Established, live.
    const sessions = live?.bgp ?? [];
    const bgp = sessions.length > 0 ? [`BGP ${sessions.filter((s) => s.established).length}/${sessions.length} up`] : [];
    group.push(box(nodeId, 'node', node.name, `${node.netns} · pods ${live?.podSubnet ?? ''}`, 0, 0, innerW + 2 * PAD, h, driftOf, bgp));
    devices.forEach((d, i) => {
      group.push(box(`${nodeId}/${d.name}`, 'device', d.name, d.detail, PAD, TITLE + i * (DEVICE_H + 8), innerW, DEVICE_H, driftOf, [], nodeId));
    });
    const podTop = TITLE + devices.length * (DEVICE_H + 8) + GAP;
    shown.forEach((p, i) => {
      const x = PAD + (i % POD_COLUMNS) * (POD.w + GAP);
      const y = podTop + Math.floor(i / POD_COLUMNS) * (POD.h + GAP);
      group.push(box(`pod/${p.name}`, 'pod', p.name, p.ip, x, y, POD.w, POD.h, driftOf, isolating.get(p.name) ?? [], nodeId));
      wires.push({ from: `pod/${p.name}`, to: `${nodeId}/${devices[devices.length - 1]!.name}`, label: p.hostVeth });
    });
    if (counted > 0) {
      const i = shown.length;
      const x = PAD + (i % POD_COLUMNS) * (POD.w + GAP);
      const y = podTop + Math.floor(i / POD_COLUMNS) * (POD.h + GAP);
      group.push(
        box(
          `${nodeId}/pods`,
          'pods',
          `${counted}${shown.length > 0 ? ' more' : ''} pods`,
          'drawn one by one up to 300 in a lab',
          x,
          y,
          POD.w,
          POD.h,
          driftOf,
          [],
          nodeId,
        ),
      );
    }
    wires.push({ from: `${nodeId}/eth0`, to: 'fabric', label: '' });
    nodeBoxes.push(group);
  }

  // Nodes in rows under the fabric; a row is as tall as its tallest node.
  let y = MARGIN + FABRIC_H + 30;
  let width = 0;
  for (let r = 0; r * NODES_PER_ROW < nodeBoxes.length; r++) {
    const row = nodeBoxes.slice(r * NODES_PER_ROW, (r + 1) * NODES_PER_ROW);
    let x = MARGIN;
    let tallest = 0;
    for (const group of row) {
      const frame = group[0]!;
      for (const b of group) boxes.push(b === frame ? { ...b, x, y } : { ...b, x: x + b.x, y: y + b.y });
      x += frame.w + 24;
      tallest = Math.max(tallest, frame.h);
    }
    width = Math.max(width, x - 24 + MARGIN);
    y += tallest + 30;
  }

  // Services in rows under the nodes.
  const perRow = Math.max(1, Math.floor((Math.max(width, 600) - 2 * MARGIN + GAP) / (SERVICE.w + GAP)));
  status.services.forEach((s, i) => {
    const x = MARGIN + (i % perRow) * (SERVICE.w + GAP);
    const sy = y + Math.floor(i / perRow) * (SERVICE.h + GAP);
    const address = s.loadBalancer?.ingress[0]?.ip ?? s.clusterIP;
    boxes.push(box(`service/${s.name}`, 'service', s.name, address, x, sy, SERVICE.w, SERVICE.h, driftOf, [s.type]));
  });
  if (status.services.length > 0) y += Math.ceil(status.services.length / perRow) * (SERVICE.h + GAP) + 10;
  width = Math.max(width, 600);

  const external = lab.external;
  const fabricX = external ? MARGIN + 170 : MARGIN;
  boxes.unshift(
    box(
      'fabric',
      'fabric',
      `fabric · bridge ${lab.fabric.bridge}`,
      `underlay ${lab.network.underlay.cidr} · MTU ${lab.network.underlay.mtu}`,
      fabricX,
      MARGIN,
      width - MARGIN - fabricX,
      FABRIC_H,
      driftOf,
      [],
    ),
  );
  if (external) {
    boxes.unshift(box('external', 'external', 'external', external.address, MARGIN, MARGIN, 150, FABRIC_H, driftOf, []));
    wires.push({ from: 'external', to: 'fabric', label: '' });
  }
  return { lab: lab.name, title: titleOf(lab), width, height: y + MARGIN, boxes, wires };
}

function box(
  id: string,
  kind: BoxKind,
  label: string,
  detail: string,
  x: number,
  y: number,
  w: number,
  h: number,
  drift: Map<string, string[]>,
  badges: string[],
  parent?: string,
): Box {
  return { id, kind, label, detail, x, y, w, h, ...(parent ? { parent } : {}), badges, drift: drift.get(id) ?? [] };
}

/** status's differences by the box they are about: a node's own, or a device of it when the words name one. */
function driftByBox(status: LabStatus): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (id: string, what: string) => out.set(id, [...(out.get(id) ?? []), what]);
  for (const d of status.drift ?? []) {
    const id = boxOfPlace(d.where);
    add(id, d.what);
    if (id.startsWith('node/') && d.device) add(`${id}/${d.device}`, d.what);
  }
  return out;
}

/** The node's tunnel device as the README draws it: flannel.1, vxlan.calico or tunl0 with its address. */
function overlayOf(lab: Lab, node: string): { name: string; detail: string } | undefined {
  const backend = lab.network.backend;
  if (backend.kind === 'vxlan') {
    const vtep = backend.vteps.find((v) => v.node === node);
    return { name: backend.device, detail: `${vtep?.address ?? ''}/32 · VNI ${backend.vni}` };
  }
  if (backend.kind === 'calico' && backend.encapsulation.kind === 'vxlan') {
    const vtep = backend.encapsulation.vteps.find((v) => v.node === node);
    return { name: backend.encapsulation.device, detail: `${vtep?.address ?? ''}/32 · VNI ${backend.encapsulation.vni}` };
  }
  if (backend.kind === 'calico' && backend.encapsulation.kind === 'ipip') {
    const t = backend.encapsulation.tunnels.find((x) => x.node === node);
    return { name: 'tunl0', detail: `${t?.address ?? ''}/32 · IP-in-IP` };
  }
  return undefined;
}

function titleOf(lab: Lab): string {
  const b = lab.network.backend;
  const kind =
    b.kind === 'vxlan'
      ? `flannel VXLAN (${b.device}, VNI ${b.vni}, UDP ${b.port})`
      : b.kind === 'calico'
        ? `Calico, BGP AS ${b.asNumber}, encapsulation ${b.encapsulation.kind}`
        : 'flannel host-gw';
  return `${lab.name}: ${kind} · pods ${lab.network.podCIDR} · services ${lab.network.serviceCIDR}`;
}

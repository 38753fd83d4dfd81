import { describe, expect, it } from 'vitest';
import { parseTraceQuery } from '../../src/cli/parse.js';
import type { Lab } from '../../src/lab/types.js';
import type { LabStatus } from '../../src/lifecycle/status.js';
import type { Hop } from '../../src/trace/types.js';
import { admit, hostsFor } from '../../src/ui/guard.js';
import { boxesOfHops } from '../../src/ui/hops.js';
import { picture, type Box } from '../../src/ui/picture.js';
import { bigLab, labOf, shippedLab } from '../helpers/labs.js';

/*
 * netlab ui's pure parts: the picture laid out from a lab and its status,
 * the hops of a trace placed on it, and who may ask the server anything.
 */

/** What `status` says of a lab that is up and as planned, plus any drift. */
function statusOf(lab: Lab, drift: LabStatus['drift'] = []): LabStatus {
  return {
    name: lab.name,
    status: drift.length > 0 ? 'damaged' : 'up',
    nodes: lab.nodes.map((n) => ({
      name: n.name,
      netns: n.netns,
      address: n.address,
      podSubnet: 'x',
      gateway: 'g',
      mac: n.mac,
      annotations: {},
      present: true,
    })),
    pods: lab.pods.map(({ name, node, netns, ip, mac, hostVeth, hostVethMac }) => ({ name, node, netns, ip, mac, hostVeth, hostVethMac, present: true })),
    services: lab.services.map((s) => ({ name: s.ref, type: s.type, clusterIP: s.clusterIP ?? 'None', ports: [] })),
    policies: [],
    strayNamespaces: [],
    problems: drift.map((d) => `${d.where}: ${d.what}`),
    ...(drift.length > 0 ? { drift } : {}),
  };
}

const inside = (inner: Box, outer: Box) =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('the picture', () => {
  const lab = shippedLab('two-node');

  it("is the README's diagram: the fabric, each node with eth0, flannel.1 and cni0, its pods inside it, wired to cni0", () => {
    const pic = picture(lab, statusOf(lab));
    const byId = new Map(pic.boxes.map((b) => [b.id, b]));
    for (const id of ['fabric', 'node/node1', 'node/node2', 'node/node1/eth0', 'node/node1/flannel.1', 'node/node1/cni0', 'pod/pod1', 'pod/pod4'])
      expect(byId.has(id), id).toBe(true);
    expect(byId.get('pod/pod1')).toMatchObject({ label: 'pod1', detail: '10.244.0.2', parent: 'node/node1' });
    expect(byId.get('node/node1/flannel.1')!.detail).toBe('10.244.0.0/32 · VNI 1');
    for (const b of pic.boxes.filter((x) => x.parent)) expect(inside(b, byId.get(b.parent!)!), b.id).toBe(true);
    // Nothing drawn over anything else of the same level, and every box on the canvas.
    const level = (b: Box) => (b.kind === 'node' || b.kind === 'fabric' || b.kind === 'service' || b.kind === 'external' ? 'top' : b.parent!);
    for (const a of pic.boxes) for (const b of pic.boxes) if (a !== b && level(a) === level(b)) expect(overlap(a, b), `${a.id} over ${b.id}`).toBe(false);
    for (const b of pic.boxes) expect(b.x + b.w <= pic.width && b.y + b.h <= pic.height, b.id).toBe(true);
    expect(pic.wires).toContainEqual({ from: 'pod/pod1', to: 'node/node1/cni0', label: lab.pods[0]!.hostVeth });
    expect(pic.wires).toContainEqual({ from: 'node/node2/eth0', to: 'fabric', label: '' });
    expect(pic.title).toBe('two-node: flannel VXLAN (flannel.1, VNI 1, UDP 8472) · pods 10.244.0.0/16 · services 10.96.0.0/12');
  });

  it('colours the node and the device status names, and nothing else', () => {
    const pic = picture(lab, statusOf(lab, [{ where: 'node node1', device: 'flannel.1', what: 'link flannel.1 is missing' }]));
    const drifted = pic.boxes.filter((b) => b.drift.length > 0).map((b) => b.id);
    expect(drifted).toEqual(['node/node1', 'node/node1/flannel.1']);
    expect(pic.boxes.find((b) => b.id === 'node/node1')!.drift).toEqual(['link flannel.1 is missing']);
  });

  it('shows Calico nodes without a bridge, with vxlan.calico when the pool is VXLAN, and badges the policies isolating a pod', () => {
    const calico = shippedLab('calico-vxlan');
    const status = { ...statusOf(calico), policies: [{ name: 'default/deny', types: ['Ingress'], isolates: [calico.pods[0]!.name] }] };
    const pic = picture(calico, status);
    const node = calico.nodes[0]!.name;
    expect(pic.boxes.filter((b) => b.parent === `node/${node}` && b.kind === 'device').map((b) => b.label)).toEqual(['eth0', 'vxlan.calico', 'cali* veths']);
    expect(pic.boxes.find((b) => b.id === `pod/${calico.pods[0]!.name}`)!.badges).toEqual(['default/deny']);
  });

  it('badges a node with its BGP sessions, Established of all, as status reads them', () => {
    const calico = shippedLab('calico');
    const status = statusOf(calico);
    status.nodes[0]!.bgp = [
      { session: 'Mesh_192_168_19_2', peer: 'node2', state: 'up Established', established: true },
      { session: 'Mesh_192_168_19_3', peer: 'node3', state: 'start Connect', established: false },
    ];
    expect(picture(calico, status).boxes.find((b) => b.id === `node/${calico.nodes[0]!.name}`)!.badges).toEqual(['BGP 1/2 up']);
  });

  it('draws a 10,000-pod lab as nodes with counts: readable, and a few hundred boxes', () => {
    const big = labOf(bigLab('ui-big', 40, 10_000));
    const pic = picture(big, statusOf(big));
    expect(pic.boxes.filter((b) => b.kind === 'pod')).toHaveLength(0);
    const counts = pic.boxes.filter((b) => b.kind === 'pods');
    expect(counts).toHaveLength(40);
    expect(counts.reduce((sum, b) => sum + Number(b.label.split(' ')[0]), 0)).toBe(10_000);
    expect(pic.boxes.length).toBeLessThan(300);
  });
});

describe("a trace's hops on the picture", () => {
  const lab = shippedLab('two-node');
  const pic = picture(lab, statusOf(lab));
  const hop = (n: number, where: string, iface?: string): Hop => ({
    n,
    kind: 'route',
    netns: 'x',
    where,
    ...(iface ? { iface } : {}),
    summary: '',
    packet: { src: '', dst: '', proto: 'icmp' },
  });

  it('puts each hop in the device it names, a veth at its pod, the node otherwise, the fabric as the fabric', () => {
    const pod1 = lab.pods.find((p) => p.name === 'pod1')!;
    const hops = [
      hop(1, 'pod1', 'eth0'),
      hop(2, 'node1', pod1.hostVeth),
      hop(3, 'node1', 'cni0'),
      hop(4, 'node1', 'flannel.1'),
      hop(5, 'fabric', 'x'),
      hop(6, 'node2'),
      hop(7, 'pod4', 'eth0'),
    ];
    expect(boxesOfHops(hops, pic, lab.pods)).toEqual(['pod/pod1', 'pod/pod1', 'node/node1/cni0', 'node/node1/flannel.1', 'fabric', 'node/node2', 'pod/pod4']);
  });

  it("puts a pod's hop at its node's count when pods are not drawn one by one", () => {
    const big = labOf(bigLab('ui-big', 4, 1000));
    const bigPic = picture(big, statusOf(big));
    const pod = big.pods[500]!;
    expect(boxesOfHops([hop(1, pod.name, 'eth0')], bigPic, big.pods)).toEqual([`node/${pod.node}/pods`]);
  });
});

describe('who may ask netlab ui anything', () => {
  const token = 'A'.repeat(32);
  const hosts = hostsFor('127.0.0.1', 8470);
  const ask = (url: string, extra: { method?: string; host?: string; cookie?: string } = {}) =>
    admit({ method: extra.method ?? 'GET', url, host: extra.host ?? '127.0.0.1:8470', cookie: extra.cookie }, token, hosts);

  it('answers the token in the URL or in its cookie, on the page’s own paths only', () => {
    expect(ask(`/?token=${token}`)).toMatchObject({ ok: true, route: 'page', fromUrl: true });
    expect(ask('/events', { cookie: `x=1; netlab_ui_token=${token}` })).toMatchObject({ ok: true, route: 'events', fromUrl: false });
    expect(ask(`/api/trace?from=pod1&to=pod4&token=${token}`, { host: 'localhost:8470' })).toMatchObject({ ok: true, route: 'trace' });
    expect(ask(`/app.js?token=${token}`)).toMatchObject({ ok: true, route: 'script' });
  });

  it('refuses no token, a wrong or shorter one, another Host, a write, and any other path', () => {
    expect(ask('/')).toMatchObject({ ok: false, status: 403 });
    expect(ask(`/?token=${token.slice(1)}`)).toMatchObject({ ok: false, status: 403 });
    expect(ask('/', { cookie: 'netlab_ui_token=B' })).toMatchObject({ ok: false, status: 403 });
    expect(ask(`/?token=${token}`, { host: 'attacker.example:8470' })).toMatchObject({ ok: false, status: 421 });
    expect(admit({ method: 'GET', url: `/?token=${token}`, host: undefined, cookie: undefined }, token, hosts)).toMatchObject({ ok: false, status: 421 });
    expect(ask(`/?token=${token}`, { method: 'POST' })).toMatchObject({ ok: false, status: 405 });
    expect(ask(`/?token=${token}`, { method: 'DELETE' })).toMatchObject({ ok: false, status: 405 });
    for (const path of ['/index.html', '/../../etc/passwd', '/api/exec', '/ui/app.js', '/%2e%2e/etc/passwd'])
      expect(ask(`${path}?token=${token}`), path).toMatchObject({ ok: false, status: 404 });
  });

  it('checks no Host off loopback (a VM’s forwarded port arrives under the host’s name): the token alone decides', () => {
    expect(hostsFor('10.0.2.15', 8470)).toBeUndefined();
    expect(admit({ method: 'GET', url: `/?token=${token}`, host: 'localhost:18470', cookie: undefined }, token, undefined)).toMatchObject({ ok: true });
    expect(admit({ method: 'GET', url: '/', host: 'localhost:18470', cookie: undefined }, token, undefined)).toMatchObject({ ok: false, status: 403 });
  });
});

describe("the page's trace words, checked as netlab trace's", () => {
  const q = (o: Record<string, string>) => parseTraceQuery('two-node', new URLSearchParams(o));

  it('takes what the CLI takes', () => {
    expect(q({ from: 'pod1', to: 'pod4' })).toMatchObject({ lab: 'two-node', from: 'pod1', to: 'pod4', proto: 'icmp', verify: false });
    expect(q({ from: 'pod1', to: 'service/web', port: '80', verify: '1' })).toMatchObject({ to: 'service/web', proto: 'tcp', port: 80, verify: true });
    expect(q({ from: 'external', to: 'ingress/path-rules', host: 'foo.bar.com', path: '/aaa' })).toMatchObject({ http: { host: 'foo.bar.com', path: '/aaa' } });
  });

  it('refuses options smuggled in as words, and what the CLI refuses', () => {
    for (const word of ['--help', '-V', '--verify', '', 'pod1; rm -rf /', 'a b', '$(id)'])
      expect(() => q({ from: word, to: 'pod4' }), word).toThrow(/is not a pod, node/);
    expect(() => q({ from: 'pod1', to: 'pod4', port: '70000' })).toThrow(/--port takes a port number/);
    expect(() => q({ from: 'pod1', to: 'pod4', proto: 'sctp', port: '1' })).toThrow(/--proto is icmp, tcp or udp/);
    expect(() => q({ from: 'pod1', to: 'pod4', host: 'x' })).toThrow(/--host, --path and --header go with a trace to ingress/);
  });
});

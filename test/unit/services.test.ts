import { describe, expect, it } from 'vitest';
import { loadLabText } from '../../src/lab/index.js';
import type { Lab } from '../../src/lab/types.js';

function lab(text: string): Lab {
  const r = loadLabText('t.yaml', text);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.lab;
}

const BASE = `name: t
nodes: [{ name: node1 }, { name: node2 }]
pods:
  - name: web
    replicas: 3
    labels: { app: web }
    containers: [{ name: c, ports: [{ name: http, containerPort: 8080 }, { name: dns, containerPort: 53, protocol: UDP }] }]
  - { name: sleepy, labels: { app: web }, ready: false, containers: [{ name: c, ports: [{ name: http, containerPort: 8080 }] }] }
  - { name: other, namespace: prod, labels: { app: web }, containers: [{ name: c, listen: [80/tcp] }] }
`;

describe('Services', () => {
  it('allocate ClusterIPs above the static band, in file order, and NodePorts from 30000', () => {
    const l = lab(`${BASE}services:
  - { name: a, selector: { app: web }, ports: [{ port: 80 }] }
  - { name: b, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
  - { name: c, clusterIP: 10.96.0.77, type: NodePort, selector: { app: web }, ports: [{ port: 80, nodePort: 30000 }] }
`);
    const own = l.services.filter((s) => s.namespace === 'default');
    expect(own.map((s) => s.clusterIP)).toEqual(['10.96.1.1', '10.96.1.2', '10.96.0.77']);
    expect(own.map((s) => s.ports[0]!.nodePort)).toEqual([undefined, 30001, 30000]);
  });

  it('refuse, with a position, the first NodePort port that finds 30000-32767 full (the allocator ran past 32767)', () => {
    const many = Array.from(
      { length: 50 },
      (_, i) =>
        `  - { name: s${i}, type: NodePort, selector: { app: web }, ports: [${Array.from({ length: 56 }, (_, j) => `{ name: p${j}, port: ${1000 + j} }`).join(', ')}] }`,
    );
    const fixed = '  - { name: pinned, type: NodePort, selector: { app: web }, ports: [{ port: 80, nodePort: 30005 }] }';
    const r = loadLabText('t.yaml', `${BASE}services:\n${fixed}\n${many.join('\n')}\n`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // 2,768 ports, one pinned: 2,767 left; 50 × 56 = 2,800 need one, and services[50].ports[23] is the 2,768th.
    expect(r.problems.map((p) => `${p.position.line}:${p.path}: ${p.message}`)).toEqual([
      '61:services[50].ports[23]: no nodePort left: 30000-32767 has room for 2767 allocated ports, and 2800 need one (this is the first that finds it full)',
    ]);
    // One fewer service fits.
    expect(loadLabText('t.yaml', `${BASE}services:\n${fixed}\n${many.slice(0, 49).join('\n')}\n`).ok).toBe(true);
  });

  it('have as endpoints the ready pods of their namespace whose labels match, at the named target port', () => {
    const l = lab(`${BASE}services:
  - { name: web, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }, { name: dns, port: 53, protocol: UDP, targetPort: dns }] }
  - { name: web, namespace: prod, selector: { app: web }, ports: [{ port: 80 }] }
`);
    const [web, prod] = l.services;
    expect(web!.ports[0]!.endpoints.map((e) => `${e.pod}@${e.ip}:${e.port}`)).toEqual([
      'web-0@10.244.0.2:8080',
      'web-2@10.244.0.3:8080',
      'web-1@10.244.1.2:8080',
    ]);
    expect(web!.ports[1]!.endpoints.map((e) => e.port)).toEqual([53, 53, 53]);
    expect(prod!.ref).toBe('prod/web');
    expect(prod!.ports[0]!.endpoints.map((e) => e.pod)).toEqual(['prod/other']);
  });

  it('warn, and do not refuse, a selector that matches no pod', () => {
    const r = loadLabText('t.yaml', `${BASE}services:\n  - { name: lonely, selector: { app: nothing }, ports: [{ port: 80 }] }\n`);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.lab.warnings.map((w) => w.message)).toEqual(['selects no pod in namespace "default"']);
  });

  it('headless services get no ClusterIP', () => {
    expect(lab(`${BASE}services:\n  - { name: h, clusterIP: None, selector: { app: web }, ports: [{ port: 80 }] }\n`).services[0]!.clusterIP).toBeUndefined();
  });

  it('put pods of one name in two namespaces side by side, each with a namespace of its own', () => {
    const l = lab(`name: t\nnodes: [{ name: n }]\npods:\n  - { name: a, namespace: x }\n  - { name: a, namespace: y }\n`);
    expect(l.pods.map((p) => [p.name, p.netns])).toEqual([
      ['x/a', 'netlab.t.pod.x.a'],
      ['y/a', 'netlab.t.pod.y.a'],
    ]);
    expect(l.namespaces.map((n) => [n.name, n.labels['kubernetes.io/metadata.name']])).toEqual([
      ['default', 'default'],
      ['x', 'x'],
      ['y', 'y'],
    ]);
  });

  it('refuse a bare name that two namespaces share, saying which to write', () => {
    const r = loadLabText(
      't.yaml',
      `name: t\nnodes: [{ name: n }]\npods:\n  - { name: a, namespace: x }\n  - { name: a, namespace: y }\ntests:\n  - ping: { from: a, to: x/a }\n`,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.message + ' ' + p.hint)).toEqual(['"a" names pods in 2 namespaces write one of x/a, y/a']);
  });
});

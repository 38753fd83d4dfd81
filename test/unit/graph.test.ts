import { describe, expect, it } from 'vitest';
import { labToDot } from '../../src/graph/dot.js';
import { labToMermaid } from '../../src/graph/mermaid.js';
import { bigLab, labOf, shippedLab } from '../helpers/labs.js';

describe('graph', () => {
  it.each(['two-node', 'host-gw'])('of %s is pinned as DOT', async (name) => {
    await expect(labToDot(shippedLab(name))).toMatchFileSnapshot(`__snapshots__/${name}.dot`);
  });

  it('names every node and pod, with addresses and veths', () => {
    const lab = shippedLab('two-node');
    const dot = labToDot(lab);
    for (const n of lab.nodes) expect(dot).toContain(`eth0 ${n.address}`);
    for (const p of lab.pods) {
      expect(dot).toContain(`${p.name}\\n${p.ip}`);
      expect(dot).toContain(p.hostVeth);
    }
    expect(labToMermaid(lab)).toContain('node2_pod4["pod4<br/>10.244.1.3"]');
  });

  it('keeps big labs readable: a few pods per node and a count', () => {
    const dot = labToDot(labOf(bigLab('big', 10, 200)));
    expect(dot).toContain('… 12 more pods');
    expect(dot).not.toContain('VXLAN VNI'); // no tunnel mesh between ten nodes
  });
});

describe('graph of a lab with Services', () => {
  it('draws each service as rules with its ClusterIP and NodePort, linked to its endpoints, and the outside client', () => {
    const lab = shippedLab('services');
    const dot = labToDot(lab);
    expect(dot).toContain('service web (ClusterIP)\\n10.96.1.1\\n80/tcp');
    expect(dot).toContain('80/tcp · NodePort 30080');
    expect(dot).toContain('svc_web -> pod_web_0 [style=dashed');
    expect(dot).not.toContain('svc_web -> pod_idle');
    expect(dot).toContain('external client\\n192.168.19.254');
    expect(labToMermaid(lab)).toContain('svc_web -.-> node2_web_1');
  });

  it('names pods of other namespaces with identifiers DOT accepts', () => {
    const dot = labToDot(shippedLab('service-policies'));
    expect(dot).not.toMatch(/pod_[^ []*\//);
  });
});

import { describe, expect, it } from 'vitest';
import { fabricNetns, nodeNetns, podNetns } from '../../src/lab/names.js';
import { podRangesOf } from '../../src/lab/node-pods.js';
import { bigLab, labOf, problemsOf, shippedLab } from '../helpers/labs.js';

describe('resolution', () => {
  it('fills in flannel and kubeadm defaults', () => {
    const lab = labOf({ name: 'defaults', nodes: [{ name: 'node1' }] });
    expect(lab.network).toMatchObject({
      podCIDR: '10.244.0.0/16',
      nodeSubnetSize: 24,
      serviceCIDR: '10.96.0.0/12',
      underlay: { cidr: '192.168.19.0/24', mtu: 1500 },
      podMTU: 1450,
      backend: { kind: 'vxlan', vni: 1, port: 8472, device: 'flannel.1', mtu: 1450 },
    });
  });

  it('gives the gateway .1 and the first pod of a node .2, in file order', () => {
    const lab = labOf({ name: 'ipam', nodes: [{ name: 'n1' }], pods: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    expect(lab.nodes[0]).toMatchObject({ podSubnet: '10.244.0.0/24', gateway: '10.244.0.1', address: '192.168.19.1' });
    expect(lab.pods.map((p) => p.ip)).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4']);
  });

  it('allocates node subnets and addresses around the ones the file fixes', () => {
    const lab = labOf({
      name: 'alloc',
      nodes: [{ name: 'n1' }, { name: 'n2', podSubnet: '10.244.0.0/24', address: '192.168.19.1' }, { name: 'n3' }],
    });
    expect(lab.nodes.map((n) => podRangesOf(n)[0])).toEqual(['10.244.1.0/24', '10.244.0.0/24', '10.244.2.0/24']);
    expect(lab.nodes.map((n) => n.address)).toEqual(['192.168.19.2', '192.168.19.1', '192.168.19.3']);
  });

  it('spreads replicas round-robin and honours pins', () => {
    const lab = labOf({
      name: 'spread',
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      pods: [{ name: 'web', replicas: 3 }, { name: 'db', node: 'n2' }, { name: 'cache' }, { name: 'fixed', ip: '10.244.1.50' }],
    });
    expect(lab.pods.map((p) => `${p.name}@${p.node}`)).toEqual(['web-0@n1', 'web-1@n2', 'web-2@n1', 'db@n2', 'cache@n2', 'fixed@n2']);
    expect(lab.pods.find((p) => p.name === 'fixed')!.ip).toBe('10.244.1.50');
    // Allocation flows around fixed addresses.
    expect(lab.pods.filter((p) => p.node === 'n2').map((p) => p.ip)).toEqual(['10.244.1.2', '10.244.1.3', '10.244.1.4', '10.244.1.50']);
  });

  it('uses the pod subnet of the node the fixed ip belongs to', () => {
    const lab = shippedLab('two-node');
    expect(lab.pods.map((p) => `${p.name} ${p.node} ${p.ip}`)).toEqual([
      'pod1 node1 10.244.0.2',
      'pod2 node1 10.244.0.3',
      'pod3 node2 10.244.1.2',
      'pod4 node2 10.244.1.3',
    ]);
  });

  it('puts the VXLAN VTEP on the node subnet network address, as flannel does', () => {
    const lab = shippedLab('two-node');
    const backend = lab.network.backend;
    expect(backend.kind).toBe('vxlan');
    if (backend.kind !== 'vxlan') return;
    expect(backend.vteps.map((v) => v.address)).toEqual(['10.244.0.0', '10.244.1.0']);
    expect(new Set(backend.vteps.map((v) => v.mac)).size).toBe(2);
  });

  it('gives host-gw pods the full underlay MTU', () => {
    expect(shippedLab('host-gw').network.podMTU).toBe(1500);
  });

  it('is deterministic: the same file gives the same lab', () => {
    expect(labOf(bigLab('same', 3, 20))).toEqual(labOf(bigLab('same', 3, 20)));
  });

  it('keeps interface names within 15 characters and host veths unique per node', () => {
    const lab = labOf(bigLab('ifnames', 2, 400));
    for (const node of lab.nodes) {
      const veths = lab.pods.filter((p) => p.node === node.name).map((p) => p.hostVeth);
      expect(new Set(veths).size).toBe(veths.length);
      for (const v of veths) expect(v).toMatch(/^veth[0-9a-f]{8}$/);
    }
    const long = labOf({ name: 'long', nodes: [{ name: 'a-node-name-longer-than-fifteen' }] });
    expect(long.nodes[0]!.fabricPort.length).toBeLessThanOrEqual(15);
  });

  it('makes MACs locally administered unicast', () => {
    const lab = shippedLab('two-node');
    for (const mac of [...lab.pods.map((p) => p.mac), ...lab.nodes.map((n) => n.mac)]) {
      const first = parseInt(mac.slice(0, 2), 16);
      expect(first & 0x01).toBe(0);
      expect(first & 0x02).toBe(2);
    }
  });

  it('scales linearly: 2000 pods on 10 nodes resolve', () => {
    const lab = labOf({ ...bigLab('scale', 10, 2000), network: { nodeSubnetSize: 23 } });
    expect(lab.pods).toHaveLength(2000);
    expect(new Set(lab.pods.map((p) => p.ip)).size).toBe(2000);
  });

  it('reports every problem with a position', () => {
    const problems = problemsOf({ name: 'x', nodes: [{ name: 'n1' }], pods: [{ name: 'p', node: 'n2' }] });
    expect(problems).toEqual(['test.yaml:6:11: pods[0].node: no node named "n2" (nodes: n1)']);
  });
});

describe('namespace names', () => {
  it('can never collide across labs and kinds', () => {
    // lab "a" + node "b-c" against lab "a-b" + node "c": the dots keep them apart.
    expect(nodeNetns('a', 'b-c')).not.toBe(nodeNetns('a-b', 'c'));
    expect(nodeNetns('a', 'b-c')).toBe('netlab.a.node.b-c');
    expect(podNetns('a', 'fabric')).not.toBe(fabricNetns('a'));
    expect(podNetns('a', 'x')).not.toBe(nodeNetns('a', 'x'));
  });
});

describe('a pod named on the command line', () => {
  it('is found as NAME, NAMESPACE/NAME, and default/NAME for the default namespace (exec refused default/a)', async () => {
    const { findByRef } = await import('../../src/lab/namespaces.js');
    const pods = [
      { name: 'a', podName: 'a' },
      { name: 'prod/a', podName: 'a' },
      { name: 'prod/b', podName: 'b' },
    ];
    expect(findByRef(pods, 'default/a').found).toBe(pods[0]);
    expect(findByRef(pods, 'prod/a').found).toBe(pods[1]);
    expect(findByRef(pods, 'b').found).toBe(pods[2]);
    expect(findByRef(pods, 'a').found).toBe(pods[0]);
    expect(findByRef(pods, 'default/b').found).toBeUndefined();
  });
});

import { execa } from 'execa';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab } from '../helpers/kernel.js';

const LAB = 'it-see';

describe.skipIf(!isRoot)('graph, capture and status', () => {
  let file: string;
  beforeAll(async () => {
    file = await labFileAs('two-node', LAB);
    expect((await netlab(['up', file])).code).toBe(0);
  });
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('draws an SVG that parses and names every node and pod with its address', async () => {
    const r = await netlab(['graph', file]);
    expect(r.code).toBe(0);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const svg = new XMLParser().parse(r.stdout);
    expect(svg.svg).toBeDefined();
    for (const text of [
      'node node1',
      'node node2',
      'pod1',
      'pod2',
      'pod3',
      'pod4',
      '10.244.0.2',
      '10.244.1.3',
      'flannel.1 10.244.0.0/32',
      'cni0 10.244.1.1/24',
      'VXLAN VNI 1',
    ]) {
      expect(r.stdout, text).toContain(text);
    }
    const fromLab = await netlab(['graph', LAB, '--format', 'mermaid']);
    expect(fromLab.stdout).toMatch(/^flowchart TB/);
    expect(fromLab.stdout).toContain('node1_vtep <-.->|VXLAN VNI 1| node2_vtep');
  });

  it('captures live on any hop and passes -w through to tcpdump', async () => {
    const pcap = join(tmpdir(), `netlab-${process.pid}.pcap`);
    const capture = execa(process.execPath, ['bin/netlab.js', 'capture', LAB, 'node1:eth0', '--', '-c', '2', '-Z', 'root', '-w', pcap, 'udp port 8472'], {
      reject: false,
    });
    // tcpdump says it is listening before any packet is sent.
    await new Promise<void>((resolve) => capture.stderr!.on('data', (d: Buffer) => String(d).includes('listening on') && resolve()));
    await execa('ip', ['netns', 'exec', `netlab.${LAB}.pod.pod1`, 'ping', '-c', '1', '-W', '2', '10.244.1.3']);
    const r = await capture;
    expect(r.exitCode).toBe(0);
    const read = await execa('tcpdump', ['-nn', '-r', pcap]);
    await rm(pcap, { force: true });
    expect(String(read.stdout)).toContain('10.244.0.2 > 10.244.1.3: ICMP echo request');
    expect((await netlab(['capture', LAB, 'node9:eth0'])).code).toBe(2);
    expect((await netlab(['capture', LAB, 'node1'])).code).toBe(2);
  });

  it('pairs each pod eth0 with its host veth by interface index, as ip link shows them', async () => {
    const status = JSON.parse((await netlab(['status', LAB, '--json'])).stdout) as {
      pods: Array<{ name: string; hostVeth: string; hostVethIndex: number; eth0Index: number }>;
    };
    const pod1 = status.pods.find((p) => p.name === 'pod1')!;
    const inPod = JSON.parse((await execa('ip', ['-n', `netlab.${LAB}.pod.pod1`, '-j', 'link', 'show', 'eth0'])).stdout)[0];
    const onNode = JSON.parse((await execa('ip', ['-n', `netlab.${LAB}.node.node1`, '-j', 'link', 'show', pod1.hostVeth])).stdout)[0];
    expect(pod1.eth0Index).toBe(inPod.ifindex);
    expect(pod1.hostVethIndex).toBe(onNode.ifindex);
    expect(inPod.link_index).toBe(onNode.ifindex);
    const table = (await netlab(['status', LAB])).stdout;
    expect(table).toContain(`${inPod.ifindex}: eth0@if${onNode.ifindex} ⇄ ${onNode.ifindex}: ${pod1.hostVeth}@if${inPod.ifindex}`);
  });

  it('writes the graph to a file with -o', async () => {
    const out = join(tmpdir(), `netlab-${process.pid}.dot`);
    expect((await netlab(['graph', file, '--format', 'dot', '-o', out])).code).toBe(0);
    const dot = await readFile(out, 'utf8');
    await rm(out, { force: true });
    expect(dot).toMatch(/^digraph netlab \{/);
  });
});

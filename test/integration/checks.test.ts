import { execa } from 'execa';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, netnsOf, testJson, writeLab, type Report } from '../helpers/kernel.js';

const LAB = 'it-checks';
const node1 = `netlab.${LAB}.node.node1`;

const byName = (report: Report, name: string) => report.tests.find((t) => t.name === name)!;

describe.skipIf(!isRoot)('netlab test on the real kernel', () => {
  // Every test makes its own copy of the lab file: none depends on another having run first.
  const labFile = () => labFileAs('two-node', LAB);

  afterAll(async () => {
    await netlab(['down', LAB]);
    await netlab(['down', 'it-capture']);
  });

  it('brings a lab up for its tests, passes everything, writes JUnit, and takes it down again', async () => {
    const file = await labFile();
    const junit = join(tmpdir(), `netlab-${process.pid}.xml`);
    const r = await netlab(['test', file, '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/30 passed, 0 failed .*brought up for the tests and taken down again/);
    expect(await netnsOf(LAB)).toEqual([]);
    const xml = await readFile(junit, 'utf8');
    await rm(junit, { force: true });
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(new XMLParser({ ignoreAttributes: false }).parse(xml).testsuites['@_tests']).toBe('30');
  });

  describe('against a running lab, broken on purpose', () => {
    let file: string;
    beforeEach(async () => {
      file = await labFile();
      expect((await netlab(['up', file])).code).toBe(0);
    });
    afterEach(async () => {
      await netlab(['down', LAB]);
    });

    it('passes on the healthy lab and leaves a lab it did not bring up running', async () => {
      const { code, report } = await testJson(file);
      expect(code).toBe(0);
      expect(report.failed).toBe(0);
      expect((await netnsOf(LAB)).length).toBe(7);
    });

    it('fails ping, capture and conformance when the route to the other node is gone, and shows the route', async () => {
      await execa('ip', ['-n', node1, 'route', 'del', '10.244.1.0/24']);
      const { code, report } = await testJson(file);
      expect(code).toBe(1);
      const ping = byName(report, 'pods on different nodes reach each other over VXLAN');
      expect(ping.status).toBe('failed');
      expect(ping.evidence.diagnosis!.join('\n')).toContain(`ip -n ${node1} route get 10.244.1.3`);
      expect(byName(report, 'cross-node traffic is VXLAN on the wire')).toMatchObject({
        status: 'failed',
        message: expect.stringMatching(/^0 of \d+ packets matched/),
      });
      expect(byName(report, 'pods on one node reach each other over cni0').status).toBe('passed');
      const pairs = report.tests.filter((t) => t.group === 'pod-to-pod');
      expect(pairs.filter((t) => t.status === 'failed').map((t) => t.name)).toEqual(
        expect.arrayContaining(['conformance: pod pod1 → pod pod3 (node1 → node2)', 'conformance: pod pod2 → pod pod4 (node1 → node2)']),
      );
      expect(pairs.find((t) => t.name.includes('pod3 → pod pod4'))!.status).toBe('passed');
    });

    it('fails tcp and udp when the listeners are gone', async () => {
      const state = JSON.parse(await readFile(`/run/netlab/${LAB}/state.json`, 'utf8')) as { agentPid: number };
      process.kill(state.agentPid, 'SIGKILL');
      const { code, report } = await testJson(file, ['--only', 'pod']);
      expect(code).toBe(1);
      expect(byName(report, 'tcp pod1 → pod4:80')).toMatchObject({ status: 'failed', message: 'pod4:80/tcp: Connection refused' });
      expect(byName(report, 'udp pod3 → pod2:8081')).toMatchObject({ status: 'failed' });
      expect(byName(report, 'pods on one node reach each other over cni0').status).toBe('passed');
    });

    it('catches NAT: a masquerade on node1 fails the no-NAT checks', async () => {
      const rules = 'table ip nat {\n  chain post {\n    type nat hook postrouting priority 100;\n    oifname "flannel.1" masquerade\n  }\n}\n';
      await execa('ip', ['netns', 'exec', node1, 'nft', '-f', '-'], { input: rules });
      const { code, report } = await testJson(file);
      expect(code).toBe(1);
      expect(byName(report, 'tcp pod1 → pod4:80').message).toMatch(/saw the client as 10\.244\.0\.0, not 10\.244\.0\.2: the address was translated \(NAT\)/);
      const pair = byName(report, 'conformance: pod pod1 → pod pod4 (node1 → node2)');
      expect(pair.status).toBe('failed');
      expect(pair.evidence.aspects!.find((a) => a.label.includes('no NAT'))).toMatchObject({
        ok: false,
        detail: 'the receiver saw 10.244.0.0, not 10.244.0.2: NAT',
      });
      expect(byName(report, 'conformance: pod pod1 → pod pod2 (same node node1)').status).toBe('passed');
    });

    it('catches a wrong destination: traffic for pod4 delivered to pod3', async () => {
      const rules =
        'table ip nat {\n  chain pre {\n    type nat hook prerouting priority -100;\n    ip daddr 10.244.1.3 tcp dport 80 dnat to 10.244.1.2\n  }\n}\n';
      await execa('ip', ['netns', 'exec', `netlab.${LAB}.node.node2`, 'nft', '-f', '-'], { input: rules });
      const { report } = await testJson(file, ['--only', 'tcp pod1']);
      expect(byName(report, 'tcp pod1 → pod4:80').message).toMatch(/answered "pod3", not pod4: the packet reached the wrong pod/);
    });
  });

  it('fails a capture that must see nothing when packets do cross, and expectations that are wrong', async () => {
    const text =
      (await readFile('labs/two-node.yaml', 'utf8')).replace(/^name: .*$/m, 'name: it-capture').replace(/^tests:[\s\S]*$/m, '') +
      [
        'tests:',
        '  - name: must see nothing (but pod1 → pod4 crosses node1:eth0)',
        '    capture: { on: node1:eth0, filter: udp port 8472, while: { ping: { from: pod1, to: pod4 } }, expect: { count: 0 } }',
        '  - name: reachable pod said to be unreachable',
        '    ping: { from: pod1, to: pod4, expect: unreachable }',
        '  - name: open port said to be closed',
        '    tcp: { from: pod1, to: pod4, port: 80, expect: unreachable }',
        '  - name: closed port said to be open',
        '    tcp: { from: pod1, to: pod4, port: 81 }',
        '  - name: 1423 bytes do not fit VXLAN with DF',
        '    ping: { from: pod1, to: pod4, size: 1423, dontFragment: true }',
        '',
      ].join('\n');
    const { code, report } = await testJson(await writeLab('it-capture', text));
    expect(code).toBe(1);
    expect(report.tests.map((t) => t.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(report.tests[0]!.evidence.packets!.length).toBeGreaterThan(0);
    expect(report.tests[4]!.message).toMatch(/did not answer/);
    expect(await netnsOf('it-capture')).toEqual([]);
  });

  it('refuses --only that matches nothing, with exit 2', async () => {
    const r = await netlab(['test', await labFile(), '--only', 'no such test']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no test name contains "no such test"');
  });
});

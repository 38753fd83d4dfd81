import { describe, expect, it } from 'vitest';
import { conformanceCases, samplePeers } from '../../src/checks/conformance.js';
import { judgeCapture, judgeConnect, judgePing } from '../../src/checks/judge.js';
import { caseFlow, connectFlow, meshNeighbourEstimate, neighbourEntries, neighbourRounds } from '../../src/checks/neighbour-budget.js';
import { resolveChecks } from '../../src/checks/resolve.js';
import { expandTemplates } from '../../src/checks/templates.js';
import type { ConnectCheck, PingCheck } from '../../src/checks/types.js';
import { packetsOf } from '../../src/kernel/capture.js';
import { selectChecks } from '../../src/lifecycle/test.js';
import { UsageError } from '../../src/errors.js';
import { bigLab, labOf, problemsOf, shippedLab } from '../helpers/labs.js';

describe('resolving tests', () => {
  const lab = shippedLab('two-node');
  const checks = resolveChecks(lab);

  it('names tests that have no name from their fields', () => {
    expect(checks.map((c) => c.name).slice(0, 6)).toEqual([
      'pods on one node reach each other over cni0',
      'pods on different nodes reach each other over VXLAN',
      'tcp pod1 → pod4:80',
      'udp pod3 → pod2:8081',
      'an address no node owns is unreachable',
      'cross-node traffic is VXLAN on the wire',
    ]);
  });

  it('resolves names to addresses and the pod that must answer', () => {
    const tcp = checks[2] as ConnectCheck;
    expect(tcp.from).toEqual({ kind: 'pod', name: 'pod1', netns: 'netlab.two-node.pod.pod1', ip: '10.244.0.2' });
    expect(tcp.to).toEqual({ ip: '10.244.1.3', label: 'pod4', pod: 'pod4' });
    const unreachable = checks[4] as PingCheck;
    expect(unreachable.to).toEqual({ ip: '10.244.99.9', label: '10.244.99.9' });
    expect(unreachable.expect).toBe('unreachable');
  });

  it('fills ${…} references into capture filters and matches', () => {
    const capture = checks[5]!;
    expect(capture).toMatchObject({
      kind: 'capture',
      netns: 'netlab.two-node.node.node1',
      iface: 'eth0',
      filter: 'udp port 8472',
      expect: { min: 1, match: '10.244.0.2 > 10.244.1.3' },
    });
    expect(expandTemplates('${pod4.mac} ${node2.address} ${node1.podSubnet}', lab)).toBe(`${lab.pods[3]!.mac} 192.168.19.14 10.244.0.0/24`);
  });

  it('gives loopback to the pod that sends', () => {
    const pc = resolveChecks(shippedLab('pod-containers'));
    expect(pc[0]).toMatchObject({ kind: 'tcp', to: { ip: '127.0.0.1', pod: 'redis-nginx' } });
  });

  it('selects tests by a part of their name, and says which exist when none match', () => {
    expect(selectChecks(checks, 'VXLAN').map((c) => c.name)).toEqual([
      'pods on different nodes reach each other over VXLAN',
      'cross-node traffic is VXLAN on the wire',
    ]);
    expect(() => selectChecks(checks, 'nothing like it')).toThrow(UsageError);
  });
});

describe('conformance generation', () => {
  it('makes one case per pod, ordered pod pair, node-pod pair and listening pod', () => {
    const cases = conformanceCases(shippedLab('two-node'));
    const count = (g: string) => cases.filter((c) => c.group === g).length;
    expect([count('own-ip'), count('pod-to-pod'), count('node-to-pod'), count('localhost')]).toEqual([4, 12, 4, 4]);
    const pair = cases.find((c) => c.name === 'conformance: pod pod1 → pod pod4 (node1 → node2)')!;
    expect(pair.aspects.map((a) => a.label)).toEqual(['ping', 'pod4 sees 10.244.0.2 (no NAT)', '80/tcp answers pod4', '8081/udp answers pod4']);
    expect(pair.aspects[2]).toMatchObject({ expectHostname: 'pod4', expectClient: '10.244.0.2' });
  });

  it('grows as n(n-1) pairs: 100 pods give 9900', () => {
    const lab = labOf(bigLab('mesh', 10, 100));
    expect(conformanceCases(lab).filter((c) => c.group === 'pod-to-pod')).toHaveLength(9900);
  });

  it('estimates the ARP entries a mesh needs, so big meshes run node by node', () => {
    expect(meshNeighbourEstimate(labOf(bigLab('mesh', 10, 100)))).toBe(10 * (10 * 9 + 20) + 90);
    expect(meshNeighbourEstimate(shippedLab('two-node'))).toBe(2 * (2 + 4) + 2);
  });
});

describe('judging', () => {
  const lab = shippedLab('two-node');
  const [, cross, tcp, , unreachable] = resolveChecks(lab) as [PingCheck, PingCheck, ConnectCheck, ConnectCheck, PingCheck];
  const pingOutcome = (received: number, transmitted = 2) => ({ command: 'ping', exitCode: received ? 0 : 1, transmitted, received, output: [] });

  it('passes a ping only with every reply, and an unreachable one only with none', () => {
    expect(judgePing(cross, pingOutcome(2)).ok).toBe(true);
    expect(judgePing(cross, pingOutcome(1)).ok).toBe(false);
    expect(judgePing(unreachable, pingOutcome(0, 1)).ok).toBe(true);
    expect(judgePing(unreachable, pingOutcome(1, 1)).ok).toBe(false);
  });

  it('fails a connection that reached the wrong pod or was translated', () => {
    const ok = { id: 0, ok: true, ms: 1, answer: { hostname: 'pod4', clientip: '10.244.0.2:5000' } };
    expect(judgeConnect(tcp, ok).ok).toBe(true);
    expect(judgeConnect(tcp, { ...ok, answer: { hostname: 'pod3', clientip: '10.244.0.2:5000' } }).message).toMatch(/wrong pod/);
    expect(judgeConnect(tcp, { ...ok, answer: { hostname: 'pod4', clientip: '10.244.0.1:5000' } }).message).toMatch(/NAT/);
    expect(judgeConnect(tcp, { id: 0, ok: false, ms: 1, error: 'Connection refused' })).toEqual({ ok: false, message: 'pod4:80/tcp: Connection refused' });
    expect(judgeConnect({ ...tcp, expect: 'unreachable' }, { id: 0, ok: false, ms: 1, error: 'Connection refused' }).ok).toBe(true);
  });

  it('counts captured packets against min, max, count and match', () => {
    const packets = ['a 10.244.0.2 > 10.244.1.3', 'b 10.244.1.3 > 10.244.0.2'];
    expect(judgeCapture({ min: 1, match: '10.244.0.2 > 10.244.1.3' }, packets).ok).toBe(true);
    expect(judgeCapture({ count: 0 }, packets).ok).toBe(false);
    expect(judgeCapture({ count: 0 }, []).ok).toBe(true);
    expect(judgeCapture({ max: 1 }, packets).ok).toBe(false);
    expect(judgeCapture({}, []).ok).toBe(false); // by default a capture must see something
  });
});

describe('tcpdump output', () => {
  it('keeps an encapsulated packet and its inner header together', () => {
    const text = [
      '09:34:48.373880 d6:12 > 3e:66, ethertype IPv4 (0x0800), length 148: 192.168.19.13.44488 > 192.168.19.14.8472: OTV, flags [I] (0x08), overlay 0, instance 1',
      '26:2c > 16:f6, ethertype IPv4 (0x0800), length 98: 10.244.0.2 > 10.244.1.3: ICMP echo request, id 1, seq 1, length 64',
      '09:34:48.374202 3e:66 > d6:12, ethertype IPv4 (0x0800), length 148: 192.168.19.14.44488 > 192.168.19.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1',
      '16:f6 > 26:2c, ethertype IPv4 (0x0800), length 98: 10.244.1.3 > 10.244.0.2: ICMP echo reply, id 1, seq 1, length 64',
      '',
    ].join('\n');
    const packets = packetsOf(text);
    expect(packets).toHaveLength(2);
    expect(packets[0]).toContain('192.168.19.13.44488 > 192.168.19.14.8472');
    expect(packets[0]).toContain('10.244.0.2 > 10.244.1.3');
  });
});

describe('conformance sample', () => {
  const lab = labOf({
    name: 'sample',
    nodes: Array.from({ length: 10 }, (_, i) => ({ name: `n${i}` })),
    pods: [{ name: 'p', replicas: 200, containers: [{ name: 'c', listen: ['80/tcp'] }] }],
  });

  it('gives each pod k distinct peers, one on its own node and one on another, the same every time', () => {
    const peers = samplePeers(lab.pods, 6);
    for (const [i, a] of lab.pods.entries()) {
      const chosen = peers(i);
      expect(new Set(chosen.map((p) => p.name)).size).toBe(6);
      expect(chosen).not.toContain(a);
      expect(chosen.some((p) => p.node === a.node)).toBe(true);
      expect(chosen.some((p) => p.node !== a.node)).toBe(true);
    }
    expect(samplePeers(lab.pods, 6)(17).map((p) => p.name)).toEqual(peers(17).map((p) => p.name));
  });

  it('keeps every node → pod pair and every own-IP case, and is linear in pods', () => {
    const cases = conformanceCases(lab, { sample: 4 });
    const count = (g: string) => cases.filter((c) => c.group === g).length;
    expect(count('pod-to-pod')).toBe(200 * 4);
    expect(count('node-to-pod')).toBe(200);
    expect(count('own-ip')).toBe(200);
    expect(conformanceCases(lab).filter((c) => c.group === 'pod-to-pod')).toHaveLength(200 * 199);
  });

  it('is asked for in the lab file, and bounded by the schema', () => {
    const withSample = labOf({
      name: 's',
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      pods: [{ name: 'p', replicas: 6 }],
      tests: [{ conformance: { sample: 2 } }],
    });
    expect(resolveChecks(withSample).filter((c) => c.kind === 'conformance' && c.group === 'pod-to-pod')).toHaveLength(12);
    expect(problemsOf({ name: 's', nodes: [{ name: 'n1' }], tests: [{ conformance: { sample: 0 } }] })[0]).toMatch(/sample/);
  });
});

describe('neighbour rounds', () => {
  const lab = labOf({
    name: 'rounds',
    nodes: Array.from({ length: 4 }, (_, i) => ({ name: `n${i}` })),
    pods: [{ name: 'p', replicas: 400, containers: [{ name: 'c', listen: ['80/tcp'] }] }],
    tests: [{ conformance: { sample: 3 } }],
  });
  const cases = conformanceCases(lab, { sample: 3 }).filter((c) => c.group !== 'own-ip');

  it('keep every round within the budget, run every case once, and name every namespace a round filled', () => {
    const pods = new Map(lab.pods.map((p) => [p.name, p]));
    const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
    const rounds = neighbourRounds(lab, cases.map(caseFlow), 512);
    expect(rounds.length).toBeGreaterThan(1);
    expect(rounds.flatMap((r) => r.cases).sort((a, b) => a - b)).toEqual(cases.map((_, i) => i));
    for (const r of rounds) {
      const entries = new Set(r.cases.flatMap((i) => neighbourEntries(lab, caseFlow(cases[i]!), pods, nodes)));
      expect(entries.size).toBeLessThanOrEqual(512);
      for (const e of entries) expect(r.namespaces).toContain(e.split('>')[0]);
    }
  });

  it('count what a case makes: both ends on one node, gateways and nodes across nodes', () => {
    const pods = new Map(lab.pods.map((p) => [p.name, p]));
    const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
    const same = cases.find((c) => c.group === 'pod-to-pod' && c.name.includes('same node'))!;
    expect(neighbourEntries(lab, caseFlow(same), pods, nodes)).toHaveLength(2);
    const across = cases.find((c) => c.group === 'pod-to-pod' && !c.name.includes('same node'))!;
    expect(neighbourEntries(lab, caseFlow(across), pods, nodes)).toHaveLength(6);
  });

  it('count a connection to a Service as one to each endpoint that may answer, so plain tests run in rounds too', () => {
    const pods = new Map(lab.pods.map((p) => [p.name, p]));
    const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
    const [a, b, c] = lab.pods;
    const from = { kind: 'pod' as const, name: a!.name, netns: a!.netns, ip: a!.ip };
    const toService = connectFlow({ from, to: {}, answerFrom: [b!.name, c!.name] });
    const one = (p: typeof b) => neighbourEntries(lab, connectFlow({ from, to: { pod: p!.name } }), pods, nodes);
    expect(new Set(neighbourEntries(lab, toService, pods, nodes))).toEqual(new Set([...one(b), ...one(c)]));
    // 400 pods, each connecting to the next: far past 512 entries at once, so rounds.
    const flows = lab.pods.map((p, i) =>
      connectFlow({ from: { kind: 'pod', name: p.name, netns: p.netns, ip: p.ip }, to: { pod: lab.pods[(i + 1) % lab.pods.length]!.name } }),
    );
    expect(neighbourRounds(lab, flows, 512).length).toBeGreaterThan(1);
  });
});

import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ask, isRoot, labFileAs, netlab, netnsOf, testJson, writeLab } from '../helpers/kernel.js';
import { readFileSync } from 'node:fs';

const LAB = 'it-svc';
const node1 = `netlab.${LAB}.node.node1`;
const node2 = `netlab.${LAB}.node.node2`;

/** The table as an outsider reads it: `nft -j` inside the node. */
async function chains(netns: string): Promise<string[]> {
  const r = await execa('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', 'ip', 'kube-proxy']);
  return (JSON.parse(r.stdout) as { nftables: Array<{ chain?: { name: string } }> }).nftables.flatMap((i) => (i.chain ? [i.chain.name] : []));
}

describe.skipIf(!isRoot)('Services, as kube-proxy programs them', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it("loads kube-proxy's table in every node, with upstream's chain names", async () => {
    const file = await labFileAs('services', LAB);
    const up = await netlab(['up', file]);
    expect(up.code, up.stderr).toBe(0);
    for (const netns of [node1, node2]) {
      const names = await chains(netns);
      // SUSTUHLJ: base32(sha256("default/web/tcp/http"))[:8], as REFERENCE-2 §1 computed it with upstream's scheme.
      expect(names).toContain('service-SUSTUHLJ-default/web/tcp/http');
      expect(names).toEqual(
        expect.arrayContaining(['nat-prerouting', 'nat-output', 'nat-postrouting', 'services', 'masquerading', 'mark-for-masquerade', 'cluster-ips-check']),
      );
      expect(names.filter((n) => n.startsWith('endpoint-') && n.includes('default/web/tcp/http__')).length).toBe(3);
      expect(names.some((n) => n.startsWith('external-') && n.includes('default/web-np/tcp/'))).toBe(true);
    }
    // flanneld's --ip-masq, as its nftables mode writes it: pods leave the pod network as their node.
    const flannel = await execa('ip', ['netns', 'exec', node1, 'nft', 'list', 'chain', 'ip', 'flannel-ipv4', 'postrtg']);
    expect(flannel.stdout).toContain('ip saddr 10.244.0.0/24 ip daddr 10.244.0.0/16 return');
    expect(flannel.stdout).toContain('ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random');
    // No device owns a ClusterIP: it is a rule, not an interface.
    const addrs = await execa('ip', ['-n', node1, '-j', 'addr', 'show']);
    expect(addrs.stdout).not.toContain('10.96.');
  });

  it('passes its tests: every endpoint answers the ClusterIP, hairpin works, the NodePort answers outsiders masqueraded', async () => {
    const { code, report } = await testJson(await labFileAs('services', LAB));
    expect(code, JSON.stringify(report.tests.filter((t) => t.status === 'failed'))).toBe(0);
    const names = report.tests.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['conformance: pod client → service/web 80/tcp', 'conformance: external → node1:30080/tcp (service/web-np)']));
    expect(names.filter((n) => n.startsWith('conformance:') && n.includes('(hairpin)'))).toHaveLength(2);
  });

  it('fails, naming the endpoint, when an endpoint chain is emptied', async () => {
    const file = await labFileAs('services', LAB);
    const name = (await chains(node1)).find((n) => n.startsWith('endpoint-') && n.includes('default/web/tcp/http__10.244.1.2/'))!;
    await execa('ip', ['netns', 'exec', node1, 'nft', 'flush', 'chain', 'ip', 'kube-proxy', name]);
    const status = await netlab(['status', LAB]);
    expect(status.stdout).toContain(`node node1: table ip kube-proxy: chain ${name} rule 1: ip saddr 10.244.1.2 jump mark-for-masquerade is missing`);
    const { code, report } = await testJson(file);
    expect(code).toBe(1);
    const spread = report.tests.find((t) => t.name === 'the ClusterIP spreads over every ready endpoint')!;
    expect(spread.status).toBe('failed');
    expect(spread.message).toMatch(/refused|timed out|web-1 never answered/);
    // up puts the table back whole.
    expect((await netlab(['up', file])).stdout).toMatch(/was damaged and is repaired/);
    expect((await testJson(file)).code).toBe(0);
  });

  it('fails when a pod that must answer is not ready, and passes with the ready ones', async () => {
    const text = readFileSync('labs/services.yaml', 'utf8').replace(/^name: .*$/m, `name: ${LAB}`);
    const strict = `${text}  - name: idle is an endpoint
    tcp: { from: client, to: service/web, port: 80, endpoints: [web-0, web-1, web-2, idle] }
`;
    const { code, report } = await testJson(await writeLab(LAB, strict));
    expect(code).toBe(1);
    const t = report.tests.find((x) => x.name === 'idle is an endpoint')!;
    expect(t.message).toMatch(/^idle never answered in \d+ connections/);
  });

  it('rejects a connection to a service with no endpoints, and drops an unallocated ClusterIP', async () => {
    const file = await writeLab(
      'it-svc-empty',
      `name: it-svc-empty
nodes: [{ name: node1 }]
pods: [{ name: client }]
services:
  - { name: nobody, clusterIP: 10.96.0.40, selector: { app: none }, ports: [{ port: 80 }] }
tests:
  - name: no endpoints is a refusal
    tcp: { from: client, to: service/nobody, port: 80, expect: unreachable }
  - name: an unallocated ClusterIP is dropped
    tcp: { from: client, to: 10.96.0.41, port: 80, expect: unreachable }
`,
    );
    const { code, report } = await testJson(file);
    expect(code).toBe(0);
    expect(report.tests[0]!.message).toMatch(/Connection refused/);
    expect(report.tests[1]!.message).toMatch(/timed out/);
    expect(await netnsOf('it-svc-empty')).toEqual([]);
  });

  it('trace shows the DNAT hop: the map element, the service chain, the candidates; --verify follows the endpoint that answered', async () => {
    const file = await labFileAs('services', LAB);
    expect((await netlab(['up', file])).code).toBe(0);
    const plain = await netlab(['trace', LAB, 'client', 'service/web', '--port', '80']);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).toMatch(/DNAT\s+kube-proxy: 10\.96\.1\.1:80\/tcp → service-SUSTUHLJ-default\/web\/tcp\/http; numgen random mod 3 picks 1 of 3/);
    expect(plain.stdout).toContain('entry:   service-ips { 10.96.1.1 . tcp . 80 }');
    const verified = await netlab(['trace', LAB, 'client', 'service/web', '--port', '80', '--verify', '--json']);
    expect(verified.code, verified.stdout).toBe(0);
    const t = JSON.parse(verified.stdout) as { traffic: string; hops: Array<{ kind: string; summary: string; seen?: boolean; where: string }> };
    const answered = /answered: (\S+)/.exec(t.traffic)![1]!;
    expect(t.hops.find((h) => h.kind === 'dnat')!.summary).toMatch(/the one conntrack chose/);
    expect(t.hops.at(-1)!.where).toBe(answered);
    expect(t.hops.filter((h) => h.seen === false)).toEqual([]);
  });

  it('trace names kube-proxy when it rejects a port the ClusterIP does not serve', async () => {
    const r = await netlab(['trace', LAB, 'client', '10.96.1.1', '--port', '81']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/DROP\s+kube-proxy rejects 10\.96\.1\.1:81\/tcp: no service listens on tcp\/81 of this ClusterIP/);
  });

  it('conformance checks traffic policies node by node, and fails where a node lost its Local endpoints chain', async () => {
    const file = await labFileAs('service-policies', 'it-svc-pol');
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      expect((await testJson(file)).code).toBe(0);
      const node1 = 'netlab.it-svc-pol.node.node1';
      const local = (await chains(node1)).find((n) => n.startsWith('local-') && n.includes('default/web-local/'))!;
      await execa('ip', ['netns', 'exec', node1, 'nft', 'flush', 'chain', 'ip', 'kube-proxy', local]);
      const { code, report } = await testJson(file);
      expect(code).toBe(1);
      const failed = report.tests.filter((t) => t.status === 'failed').map((t) => t.name);
      expect(failed).toContain('conformance: external → node1:30100/tcp (service/web-local, Local)');
      // Only what enters node1 on the Local NodePort is broken: the file's own test of it, and conformance's case.
      expect(failed.sort()).toEqual(
        [
          "Local keeps the client's address and answers from this node's endpoint only",
          'conformance: external → node1:30100/tcp (service/web-local, Local)',
        ].sort(),
      );
    } finally {
      await netlab(['down', 'it-svc-pol']);
    }
  });

  it('iptables mode passes the same tests with KUBE-SVC-/KUBE-SEP- chains named as upstream hashes them, and fails when one is emptied', async () => {
    const lab = 'it-svc-ipt';
    const file = await labFileAs('services-iptables', lab);
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      const node = `netlab.${lab}.node.node1`;
      const nat = String((await execa('ip', ['netns', 'exec', node, 'iptables-save', '-t', 'nat'])).stdout);
      // CDGGSHYLG3RE2FKL: base32(sha256("default/web:http" + "tcp"))[:16], REFERENCE-2 §2.
      expect(nat).toContain(
        '-A KUBE-SERVICES -d 10.96.1.1/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL',
      );
      expect(nat).toMatch(
        /-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default\/web:http -> 10\.244\.0\.2:8080" -m statistic --mode random --probability 0\.33333333349 -j KUBE-SEP-\w{16}/,
      );
      expect(nat).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
      const ok = await testJson(file);
      expect(ok.code, JSON.stringify(ok.report.tests.filter((t) => t.status === 'failed'))).toBe(0);
      expect(ok.report.passed).toBeGreaterThan(40);
      const sep =
        /-j (KUBE-SEP-\w{16})\n-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default\/web:http -> 10\.244\.1\.2/.exec(nat) ??
        /(KUBE-SEP-\w{16})/.exec(nat)!;
      await execa('ip', ['netns', 'exec', node, 'iptables', '-t', 'nat', '-F', sep[1]!]);
      expect((await netlab(['status', lab])).stdout).toMatch(
        new RegExp(`node node1: table iptables: chain nat/${sep[1]} rule 1: -s 10\\.244\\.\\d+\\.\\d+/32 .* is missing`),
      );
      expect((await testJson(file)).code).toBe(1);
    } finally {
      await netlab(['down', lab]);
    }
  });

  it('ClientIP affinity sends every connection of one client to the same endpoint', async () => {
    const file = await writeLab(
      'it-svc-aff',
      `name: it-svc-aff
nodes: [{ name: node1 }, { name: node2 }]
pods:
  - { name: web, replicas: 3, labels: { app: web }, containers: [{ name: c, listen: [80/tcp] }] }
  - { name: client }
services:
  - { name: sticky, sessionAffinity: ClientIP, selector: { app: web }, ports: [{ port: 80 }] }
`,
    );
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      const script =
        'import socket\nseen=set()\nfor i in range(20):\n    s=socket.create_connection((__import__("sys").argv[1],80),2); s.sendall(b"hostname\\n"); seen.add(s.recv(100).strip()); s.close()\nprint(len(seen))';
      const clusterIP = JSON.parse((await netlab(['status', 'it-svc-aff', '--json'])).stdout).services[0].clusterIP as string;
      const r = await execa('ip', ['netns', 'exec', 'netlab.it-svc-aff.pod.client', 'python3', '-c', script, clusterIP]);
      expect(r.stdout.trim()).toBe('1');
    } finally {
      await netlab(['down', 'it-svc-aff']);
    }
  });

  it.each(['nftables', 'iptables'])('conformance of a ClientIP Service checks affinity, not spreading, and passes (%s mode)', async (mode) => {
    const lab = `it-aff-${mode.slice(0, 3)}`;
    const file = await writeLab(
      lab,
      `name: ${lab}
network: { kubeProxy: { mode: ${mode} } }
nodes: [{ name: node1 }, { name: node2 }]
pods:
  - { name: web, replicas: 3, labels: { app: web }, containers: [{ name: c, listen: [80/tcp] }] }
  - { name: client }
services:
  - { name: sticky, type: NodePort, sessionAffinity: ClientIP, selector: { app: web }, ports: [{ port: 80 }] }
tests:
  - conformance: {}
`,
    );
    try {
      const { code, report } = await testJson(file);
      const affinity = report.tests.filter((t) => /one endpoint/.test(t.name));
      // The ClusterIP case from a pod, and the NodePort case from external on each node.
      expect(affinity.map((t) => t.name).sort()).toEqual([
        'conformance: external → node1:30000/tcp (service/sticky) keeps external on one endpoint',
        'conformance: external → node2:30000/tcp (service/sticky) keeps external on one endpoint',
        'conformance: service/sticky 80/tcp keeps client on one endpoint (sessionAffinity ClientIP)',
      ]);
      expect(report.tests.filter((t) => /spreads over/.test(t.name))).toEqual([]);
      expect(code, JSON.stringify(report.tests.filter((t) => t.status === 'failed'))).toBe(0);
      if (mode !== 'nftables') return;
      // Broken on purpose: without the rules that look the client up in the affinity sets, each connection picks anew.
      expect((await netlab(['up', file])).code).toBe(0);
      for (const node of ['node1', 'node2']) {
        const netns = `netlab.${lab}.node.${node}`;
        const table = String((await execa('ip', ['netns', 'exec', netns, 'nft', '-a', 'list', 'table', 'ip', 'kube-proxy'])).stdout);
        let chain = '';
        for (const line of table.split('\n')) {
          const c = /^\s*chain (\S+) \{/.exec(line);
          if (c) chain = c[1]!;
          const h = /@affinity-\S+ .*# handle (\d+)$/.exec(line);
          if (h) await execa('ip', ['netns', 'exec', netns, 'nft', 'delete', 'rule', 'ip', 'kube-proxy', chain, 'handle', h[1]!]);
        }
      }
      const broken = await testJson(file, ['--only', 'one endpoint']);
      expect(broken.code).toBe(1);
      expect(broken.report.tests.find((t) => t.status === 'failed')!.message).toMatch(/the first connection went to web-\d, then .*: no affinity/);
    } finally {
      await netlab(['down', lab]);
    }
  });

  it('iptables mode drops a ClusterIP whose internalTrafficPolicy Local endpoints are all on other nodes (the client waits), and refuses one with none', async () => {
    const lab = 'it-itp-ipt';
    const file = await writeLab(
      lab,
      `name: ${lab}
network: { kubeProxy: { mode: iptables } }
nodes: [{ name: node1 }, { name: node2 }]
pods:
  - { name: web, node: node2, labels: { app: web }, containers: [{ name: c, listen: [80/tcp] }] }
  - { name: client, node: node1 }
services:
  - { name: local, clusterIP: 10.96.0.30, internalTrafficPolicy: Local, selector: { app: web }, ports: [{ port: 80 }] }
  - { name: none, clusterIP: 10.96.0.31, selector: { app: nothing }, ports: [{ port: 80 }] }
`,
    );
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      const dropped = await ask(`netlab.${lab}.pod.client`, 'tcp', '10.96.0.30', 80);
      expect(dropped.code).not.toBe(0);
      expect(dropped.stderr).toMatch(/timed out/);
      const refused = await ask(`netlab.${lab}.pod.client`, 'tcp', '10.96.0.31', 80);
      expect(refused.stderr).toMatch(/Connection refused/);
    } finally {
      await netlab(['down', lab]);
    }
  });

  it.each(['nftables', 'iptables'])(
    '%s mode: on a node with no endpoint of a Local NodePort, a pod and the node itself still connect, and not without the short-circuit (#25)',
    async (mode) => {
      const lab = `it-svc-sc-${mode.slice(0, 3)}`;
      const text = readFileSync('labs/service-policies.yaml', 'utf8')
        .replace(/^name: .*$/m, `name: ${lab}`)
        .replace(/^nodes:$/m, `network:\n  kubeProxy: { mode: ${mode} }\nnodes:`);
      const file = await writeLab(lab, text);
      try {
        expect((await netlab(['up', file])).code).toBe(0);
        // The lab's two tests and conformance's two cases of node3:30100, from client (on node3) and from node3.
        const ok = await testJson(file, ['--only', 'short-circuited']);
        expect(ok.report.tests.map((t) => `${t.status} ${t.name}`).sort()).toEqual(
          [
            "passed but a pod on that node is short-circuited to the cluster's endpoints",
            'passed and node3 itself is short-circuited too',
            'passed conformance: pod client → node3:30100/tcp (service/web-local, Local, no endpoint on node3), short-circuited',
            'passed conformance: node3 itself → node3:30100/tcp (service/web-local, Local, no endpoint on node3), short-circuited',
          ].sort(),
        );
        // Broken on purpose: node3's external chain emptied, as a kube-proxy writing only the drop would leave it.
        const node3 = `netlab.${lab}.node.node3`;
        if (mode === 'nftables') {
          const external = (await chains(node3)).find((n) => n.startsWith('external-') && n.includes('default/web-local/'))!;
          await execa('ip', ['netns', 'exec', node3, 'nft', 'flush', 'chain', 'ip', 'kube-proxy', external]);
        } else {
          const nat = String((await execa('ip', ['netns', 'exec', node3, 'iptables-save', '-t', 'nat'])).stdout);
          const ext = /-A KUBE-NODEPORTS .*default\/web-local"? .*-j (KUBE-EXT-\w{16})/.exec(nat)![1]!;
          await execa('ip', ['netns', 'exec', node3, 'iptables', '-t', 'nat', '-F', ext]);
        }
        const broken = await testJson(file, ['--only', 'short-circuited']);
        expect(broken.code).toBe(1);
        expect(broken.report.tests.filter((t) => t.status === 'failed')).toHaveLength(4);
      } finally {
        await netlab(['down', lab]);
      }
    },
  );
});

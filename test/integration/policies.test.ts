import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, testJson, writeLab } from '../helpers/kernel.js';

const LAB = 'it-netpol';
const node1 = `netlab.${LAB}.node.node1`;

/** The network namespace's identity: a pod recreated gets a new one. */
async function inode(netns: string): Promise<string> {
  return String((await execa('stat', ['-c', '%i', `/run/netns/${netns}`])).stdout);
}

describe.skipIf(!isRoot)('NetworkPolicy in the kernel', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it("enforces the policies in netlab's own table, after kube-proxy, and the matrix agrees with the oracle", async () => {
    const file = await labFileAs('netpol-namespaces', LAB);
    expect((await netlab(['up', file])).code).toBe(0);
    const table = await execa('ip', ['netns', 'exec', node1, 'nft', 'list', 'chain', 'ip', 'netlab-policy', 'forward']);
    expect(table.stdout).toContain('type filter hook forward priority filter + 10; policy accept;');
    expect(table.stdout).toContain('ct state established,related accept');
    const { code, report } = await testJson(file);
    expect(code, JSON.stringify(report.tests[0]?.evidence)).toBe(0);
    expect(report.tests[0]!.message).toBe('all 288 cells as the policies say (reachability: correct: 288, incorrect: 0)');
  });

  it('trace names the verdict, and --verify confirms where the packet stopped; status lists what each policy isolates', async () => {
    const file = await labFileAs('netpol-namespaces', LAB);
    expect((await netlab(['up', file])).code).toBe(0);
    const allowed = await netlab(['trace', LAB, 'y/b', 'x/a', '--port', '80']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('NetworkPolicy: egress: not isolated; ingress: allowed by x/a-from-y-pods-b ingress[0]');
    const refused = await netlab(['trace', LAB, 'y/a', 'x/a', '--port', '80', '--verify']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /DROP\s+dropped on node\d by NetworkPolicy x\/a-from-y-pods-b: pod x\/a is isolated for ingress and no rule allows y\/a on tcp\/80/,
    );
    expect(refused.stdout).toMatch(/✘ the packet was last seen at hop \d+, node\d /);
    const status = await netlab(['status', LAB]);
    expect(status.stdout).toMatch(/x\/a-from-y-pods-b\s+Ingress\s+x\/a/);
  });

  it('breaks visibly, cell by cell, when the table is flushed by hand', async () => {
    const file = await labFileAs('netpol-namespaces', LAB);
    expect((await netlab(['up', file])).code).toBe(0); // each test stands alone: up is a no-op when it is up
    for (const node of ['node1', 'node2']) await execa('ip', ['netns', 'exec', `netlab.${LAB}.node.${node}`, 'nft', 'flush', 'table', 'ip', 'netlab-policy']);
    const { code, report } = await testJson(file);
    expect(code).toBe(1);
    const m = report.tests[0]!;
    expect(m.message).toMatch(/^\d+ of 288 cells differ from the policies \(reachability: correct: \d+, incorrect: \d+\)$/);
    expect(m.evidence.output).toContain('  differs:');
    expect(
      m.evidence.output!.some((l) =>
        /^y\/a → x\/a 80\/tcp: connected, but the policies say blocked \(egress: not isolated; ingress: isolated by x\/a-from-y-pods-b and no rule allows it\)$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect((await netlab(['status', LAB])).stdout).toMatch(/table ip netlab-policy: chain forward rule 1: ct state established,related accept is missing/);
    expect((await netlab(['up', file])).code).toBe(0);
    expect((await testJson(file)).code).toBe(0);
  });

  it('breaks visibly when a policy is removed from the file but not from the kernel, and up applies it with no pod recreated', async () => {
    const file = await labFileAs('netpol-namespaces', LAB);
    expect((await netlab(['up', file])).code).toBe(0);
    const text = await readFile(file, 'utf8');
    const start = text.indexOf('  - name: c-from-own-namespace');
    await writeFile(file, text.slice(0, start) + text.slice(text.indexOf('tests:')));
    const before = await inode(`netlab.${LAB}.pod.x.c`);
    const stale = await testJson(file);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("the file's NetworkPolicies are not the running lab's");
    const up = await netlab(['up', file]);
    expect(up.stdout).toMatch(/takes the file's changes in .*3 → 2 NetworkPolicies: table ip netlab-policy reloaded on 2 nodes, no pod touched/);
    expect((await testJson(file)).code).toBe(0);
    expect(await inode(`netlab.${LAB}.pod.x.c`)).toBe(before);
  });

  it.each(['netpol-deny-ingress', 'netpol-ports', 'netpol-egress'])('%s breaks visibly when its table is flushed', async (name) => {
    const lab = `it-np-${name.slice('netpol-'.length)}`;
    const file = await labFileAs(name, lab);
    try {
      expect((await netlab(['up', file])).code).toBe(0);
      for (const node of ['node1', 'node2']) await execa('ip', ['netns', 'exec', `netlab.${lab}.node.${node}`, 'nft', 'flush', 'table', 'ip', 'netlab-policy']);
      const { code, report } = await testJson(file);
      expect(code).toBe(1);
      expect(report.tests[0]!.message).toMatch(/^\d+ of 288 cells differ from the policies/);
    } finally {
      await netlab(['down', lab]);
    }
  });

  it('a matrix over a port no pod serves says the port is closed, and does not blame the policies', async () => {
    const lab = 'it-np-closed';
    const file = await writeLab(
      lab,
      `name: ${lab}
nodes: [{ name: node1 }]
pods:
  - { name: a, labels: { app: a }, containers: [{ name: c, listen: [80/tcp] }] }
  - { name: b, labels: { app: b }, containers: [{ name: c, listen: [80/tcp] }] }
  - { name: c, labels: { app: c }, containers: [{ name: c, listen: [80/tcp] }] }
policies:
  - { name: only-a, spec: { podSelector: { matchLabels: { app: b } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: a } } }] }] } }
tests:
  - name: served and closed
    policyMatrix: { ports: [80, 82] }
  - name: closed only
    policyMatrix: { ports: [82] }
`,
    );
    try {
      const { report } = await testJson(file);
      const [mixed, closed] = report.tests;
      expect(mixed!.status, mixed!.message).toBe('passed');
      expect(mixed!.message).toBe('all 6 cells as the policies say (reachability: correct: 6, incorrect: 0); 6 cells to closed ports not probed');
      expect(mixed!.evidence.output).toContain('  c: 82/tcp is closed on a, b, c (no container listens on it): not probed, says nothing of the policies');
      expect(closed!.status).toBe('failed');
      expect(closed!.message).toMatch(/no pod of the matrix listens on 82\/tcp: every port is closed/);
      expect(closed!.message).not.toMatch(/the policies say/);
    } finally {
      await netlab(['down', lab]);
    }
  });
});

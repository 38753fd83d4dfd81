import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, labFileAs, netlab, netnsOf, testJson } from '../helpers/kernel.js';

const LAB = 'it-dns';

function etcNetns(lab: string): string[] {
  try {
    return readdirSync('/etc/netns').filter((n) => n.startsWith(`netlab.${lab}.`));
  } catch {
    return [];
  }
}

describe.skipIf(!isRoot)('cluster DNS', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('gives every pod the resolv.conf kubelet writes, and programs in the pod see the cluster', async () => {
    const file = await labFileAs('dns', LAB);
    expect((await netlab(['up', file])).code).toBe(0);
    const resolv = await netlab(['exec', LAB, 'client', '--', 'cat', '/etc/resolv.conf']);
    expect(resolv.stdout).toBe('nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5');
    const visitor = await netlab(['exec', LAB, 'other/visitor', '--', 'cat', '/etc/resolv.conf']);
    expect(visitor.stdout).toContain('search other.svc.cluster.local svc.cluster.local cluster.local');
    // getent goes through glibc's resolver: search path and ndots, as any program in the pod.
    expect((await netlab(['exec', LAB, 'client', '--', 'getent', 'hosts', 'web'])).stdout).toMatch(/^10\.96\.1\.1\s+web\.default\.svc\.cluster\.local$/);
    expect((await netlab(['exec', LAB, 'other/visitor', '--', 'getent', 'hosts', 'web.default'])).stdout).toMatch(
      /^10\.96\.1\.1\s+web\.default\.svc\.cluster\.local$/,
    );
    expect((await netlab(['exec', LAB, 'client', '--', 'getent', 'hosts', 'web.default.svc.cluster.local'])).stdout).toMatch(/^10\.96\.1\.1/);
    // Another namespace's (headless) service by NAME.NAMESPACE: its ready endpoint.
    expect((await netlab(['exec', LAB, 'client', '--', 'getent', 'hosts', 'db.other'])).stdout).toMatch(/^10\.244\.0\.3\s+db\.other\.svc\.cluster\.local$/);
    expect((await netlab(['exec', LAB, 'client', '--', 'nslookup', 'web'])).stdout).toContain('Name:\tweb.default.svc.cluster.local\nAddress: 10.96.1.1');
    const nslookup = await netlab(['exec', LAB, 'other/visitor', '--', 'nslookup', 'db']);
    expect(nslookup.stdout).toContain('Name:\tdb.other.svc.cluster.local\nAddress: 10.244.0.3');
    // The DNS pods' own resolver is the node's (dnsPolicy Default, as CoreDNS's): no file of theirs.
    expect(etcNetns(LAB)).not.toContain(`netlab.${LAB}.pod.kube-system.kube-dns-0`);
  });

  it('passes its dns tests and the e2e DNS cases of conformance', async () => {
    const { code, report } = await testJson(await labFileAs('dns', LAB));
    expect(code, JSON.stringify(report.tests.filter((t) => t.status === 'failed'))).toBe(0);
    const names = report.tests.map((t) => t.name);
    expect(names.some((n) => /^conformance: DNS for a headless service, by short name: other\/\S+ looks up db$/.test(n))).toBe(true);
    expect(names).toContain('conformance: DNS for the cluster: web-0 looks up dns-version.cluster.local TXT');
  });

  it('trace resolves a name the way the pod does and says so first, then follows the query through kube-dns', async () => {
    const byName = await netlab(['trace', LAB, 'client', 'web', '--port', '80']);
    expect(byName.code, byName.stdout).toBe(0);
    expect(byName.stdout).toMatch(
      / 1\. client\s+DNS\s+client resolves web through its search path: web\.default\.svc\.cluster\.local is 10\.96\.1\.1, answered by kube-dns at 10\.96\.0\.10/,
    );
    const query = await netlab(['trace', LAB, 'client', 'kube-dns.kube-system', '--port', '53', '--proto', 'udp']);
    expect(query.code, query.stdout).toBe(0);
    expect(query.stdout).toMatch(/DNAT\s+kube-proxy: 10\.96\.0\.10:53\/udp → service-FY5PMXPG-kube-system\/kube-dns\/udp\/dns/);
  });

  it('fails the DNS tests when the DNS pods stop; status names them and up restarts them', async () => {
    const file = await labFileAs('dns', LAB);
    for (const pod of ['kube-dns-0', 'kube-dns-1']) {
      const pids = String((await execa('ip', ['netns', 'pids', `netlab.${LAB}.pod.kube-system.${pod}`])).stdout)
        .split('\n')
        .filter(Boolean);
      for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    }
    await sleep(100);
    expect((await netlab(['status', LAB])).stdout).toContain('! pod kube-system/kube-dns-0: dnsmasq is not running');
    const broken = await testJson(file);
    expect(broken.code).toBe(1);
    const short = broken.report.tests.find((t) => t.name === 'a short name resolves through the search path')!;
    expect(short.status).toBe('failed');
    expect(short.message).toMatch(/no reply from the cluster DNS|REFUSED|timed out/);
    expect((await netlab(['up', file])).stdout).toMatch(/kube-dns-0: dnsmasq is not running/);
    expect((await testJson(file)).code).toBe(0);
  });

  it('leaves nothing in /etc/netns after down, nor after a SIGKILL of up and then down', async () => {
    expect(etcNetns(LAB).length).toBeGreaterThan(0);
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(etcNetns(LAB)).toEqual([]);
    const file = await labFileAs('dns', LAB);
    const child = execa(process.execPath, ['bin/netlab.js', 'up', file], { reject: false });
    const deadline = Date.now() + 20_000;
    while (etcNetns(LAB).length === 0 && Date.now() < deadline) await sleep(5);
    child.kill('SIGKILL');
    await child;
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(etcNetns(LAB)).toEqual([]);
    expect(await netnsOf(LAB)).toEqual([]);
  });
});

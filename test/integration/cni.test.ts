import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipj, isRoot, labFileAs, netlab, netnsOf, processesOf, testJson, writeLab, until, upForTests, buildByHand, ping } from '../helpers/kernel.js';

const ns = (lab: string, kind: 'node' | 'pod', name: string) => `netlab.${lab}.${kind}.${name}`;

/** A private directory for a test's conflists and plugins: root's, writable by no one else, as netlab demands. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-test-cni-'));
  chmodSync(dir, 0o755);
  return dir;
}

describe.skipIf(!isRoot)('CNI reference plugins as the runtime', () => {
  const LAB = 'it-cni-ref';
  const labFile = upForTests('cni-reference', LAB);

  it('the plugins made what flannel’s delegation makes: cni0 with the gateway, hairpinned veths, the pod routes, host-local’s reservations', async () => {
    const addrs = await ipj<Array<{ addr_info: Array<{ local: string; prefixlen: number; broadcast?: string }> }>>(ns(LAB, 'node', 'node1'), [
      '-4',
      'addr',
      'show',
      'dev',
      'cni0',
    ]);
    expect(addrs[0]!.addr_info[0]).toMatchObject({ local: '10.244.0.1', prefixlen: 24 });
    const routes = await ipj<Array<{ dst: string; gateway?: string }>>(ns(LAB, 'pod', 'pod1'), ['route', 'show']);
    expect(routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dst: 'default', gateway: '10.244.0.1' }),
        expect.objectContaining({ dst: '10.244.0.0/16', gateway: '10.244.0.1' }),
      ]),
    );
    const ports = await ipj<Array<{ ifname: string; master?: string }>>(ns(LAB, 'node', 'node1'), ['link', 'show', 'master', 'cni0']);
    expect(ports).toHaveLength(2);
    const reserved = readdirSync(`/run/netlab/${LAB}/cni/ipam/node1/cbr0`).filter((f) => /^\d/.test(f));
    expect(reserved.sort()).toEqual(['10.244.0.2', '10.244.0.3']);
  });

  it('passes conformance, with a cni-check per pod', async () => {
    const { code, report, stderr } = await testJson(labFile());
    expect(code, stderr).toBe(0);
    expect(report.tests.filter((t) => t.name.startsWith('cni-check: ')).map((t) => t.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
  });

  it('CHECK catches what ADD made and someone removed, and up repairs it with the same address', async () => {
    await execa('ip', ['-n', ns(LAB, 'pod', 'pod2'), 'addr', 'flush', 'dev', 'eth0']);
    const { code, report } = await testJson(labFile(), ['--only', 'cni-check']);
    expect(code).toBe(1);
    const failed = report.tests.filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.name)).toEqual(['cni-check: pod pod2']);
    expect(failed[0]!.message).toMatch(/plugin bridge failed .*10\.244\.0\.3/);
    const up = await netlab(['up', labFile()]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/pod pod2: eth0 lacks 10\.244\.0\.3\/24/);
    expect((await testJson(labFile(), ['--only', 'cni-check'])).code).toBe(0);
  });

  it('--shard 1/2 and 2/2 together run every test exactly once', async () => {
    const all = (await testJson(labFile())).report.tests.map((t) => t.name);
    const one = (await testJson(labFile(), ['--shard', '1/2'])).report.tests.map((t) => t.name);
    const two = (await testJson(labFile(), ['--shard', '2/2'])).report.tests.map((t) => t.name);
    expect(one.length + two.length).toBe(all.length);
    expect([...one, ...two].sort()).toEqual([...all].sort());
    expect(one.filter((n) => two.includes(n))).toEqual([]);
  });

  it('down runs DEL for every pod and leaves no veth, reservation or cached result', async () => {
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await readdir(`/run/netlab/${LAB}`).catch(() => 'gone')).toBe('gone');
  });
});

describe.skipIf(!isRoot)('a conflist of ptp', () => {
  it('passes conformance: another data path, no bridge', async () => {
    const LAB = 'it-cni-ptp';
    try {
      const file = await labFileAs('cni-ptp', LAB);
      const up = await netlab(['up', file]);
      expect(up.code, up.stderr).toBe(0);
      const links = await ipj<Array<{ ifname: string; linkinfo?: { info_kind: string } }>>(ns(LAB, 'node', 'node1'), ['-d', 'link', 'show']);
      expect(links.filter((l) => l.linkinfo?.info_kind === 'bridge')).toEqual([]);
      const { code, report, stderr } = await testJson(file);
      expect(code, stderr).toBe(0);
      expect(report.failed).toBe(0);
    } finally {
      await netlab(['down', LAB]);
    }
  });
});

describe.skipIf(!isRoot)('a broken conflist', () => {
  it('fails conformance, and the failures name the NAT', async () => {
    const LAB = 'it-cni-ipmasq';
    const dir = scratch();
    try {
      copyFileSync('labs/broken/ipmasq.conflist', join(dir, 'ipmasq.conflist'));
      const file = join(dir, 'lab.yaml');
      const text = readFileSync('labs/broken/cni-ipmasq.yaml', 'utf8').replace(/^name: .*$/m, `name: ${LAB}`);
      writeFileSync(file, text);
      const { code, report } = await testJson(file);
      expect(code).toBe(1);
      const failed = report.tests.filter((t) => t.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      for (const t of failed) {
        expect(t.name).toMatch(/node1 → node2|node2 → node1/);
        expect(t.message).toMatch(/NAT/);
      }
      expect(report.tests.filter((t) => /pod pod-0 → pod pod-2 /.test(t.name))[0]?.status).toBe('passed');
    } finally {
      await netlab(['down', LAB]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!isRoot)('plugin failures', () => {
  it('a plugin’s error aborts up with exit 4 naming the plugin, the pod and its message, and rolls back', async () => {
    const LAB = 'it-cni-err';
    const dir = scratch();
    try {
      writeFileSync(
        join(dir, 'typo.conflist'),
        JSON.stringify({
          name: 'typo',
          cniVersion: '1.0.0',
          plugins: [{ type: 'bridge', isGateway: true, ipam: { type: 'host-locall', subnet: '10.244.0.0/24' } }],
        }),
      );
      const file = join(dir, 'lab.yaml');
      writeFileSync(file, `name: ${LAB}\nnetwork:\n  cni: { conflist: typo.conflist }\nnodes: [{ name: node1 }]\npods: [{ name: a }]\n`);
      const r = await netlab(['up', file]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/CNI ADD of pod a \(typo, eth0\): plugin bridge failed.*host-locall/);
      expect(await netnsOf(LAB)).toEqual([]);
      expect(await readdir(`/run/netlab/${LAB}`).catch(() => 'gone')).toBe('gone');
    } finally {
      await netlab(['down', LAB]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a plugin directory the lab names is refused unless --cni-path allows it; a failing DEL is reported and the rest removed', async () => {
    const LAB = 'it-cni-del';
    const dir = scratch();
    try {
      const plugins = join(dir, 'plugins');
      mkdirSync(plugins, { mode: 0o755 });
      for (const p of ['bridge', 'host-local', 'loopback']) symlinkSync(`/usr/lib/cni/${p}`, join(plugins, p));
      copyFileSync('test/fixtures/cni/refuse-del', join(plugins, 'refuse-del'));
      chmodSync(join(plugins, 'refuse-del'), 0o755);
      writeFileSync(
        join(dir, 'chain.conflist'),
        JSON.stringify({ name: 'chain', cniVersion: '1.0.0', plugins: [{ type: 'flannel', delegate: { isDefaultGateway: true } }, { type: 'refuse-del' }] }),
      );
      const file = join(dir, 'lab.yaml');
      writeFileSync(
        file,
        `name: ${LAB}\nnetwork:\n  cni: { conflist: chain.conflist, path: [${plugins}] }\nnodes: [{ name: node1 }]\npods: [{ name: a }, { name: b }]\n`,
      );
      const refused = await netlab(['up', file]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`--cni-path ${plugins}`));
      expect(await netnsOf(LAB)).toEqual([]);

      const up = await netlab(['up', '--cni-path', plugins, file]);
      expect(up.code, up.stderr).toBe(0);
      const down = await netlab(['down', LAB]);
      expect(down.code).toBe(0);
      expect(down.stderr.match(/plugin refuse-del failed \(code 999\): refusing DEL on purpose/g)).toHaveLength(2);
      expect(await netnsOf(LAB)).toEqual([]);
      expect(await processesOf(LAB)).toEqual([]);
    } finally {
      await netlab(['down', LAB]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!isRoot)('SIGKILL of up in reference mode, then down', () => {
  it('leaves no veth, no IPAM reservation and no cached result', async () => {
    const LAB = 'it-cni-kill';
    const many = `name: ${LAB}\nnetwork:\n  cni: reference\nnodes: [{ name: node1 }, { name: node2 }]\npods:\n  - name: p\n    replicas: 60\n`;
    const file = await writeLab(LAB, many);
    const child = execa(process.execPath, ['bin/netlab.js', 'up', file], { reject: false, env: { CI: 'true' } });
    // Half-way through the ADDs: some results are cached, some pods not yet wired.
    await until('some pods to be attached', async () => (await readdir(`/run/netlab/${LAB}/cni/results`).catch(() => [])).length > 20);
    child.kill('SIGKILL');
    await child;
    const vethsBefore = (await ipj<unknown[]>(ns(LAB, 'node', 'node1'), ['link', 'show', 'type', 'veth']).catch(() => [])).length;
    expect(vethsBefore).toBeGreaterThan(1);
    const down = await netlab(['down', LAB]);
    expect(down.code, down.stderr).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await readdir(`/run/netlab/${LAB}`).catch(() => 'gone')).toBe('gone');
  });
});

describe.skipIf(!isRoot)('the plan of a reference lab, run by hand', () => {
  it('builds pods the plugins wire, each plugin given the one before’s result', async () => {
    const LAB = 'it-cni-plan';
    try {
      await buildByHand('cni-reference', LAB);
      expect((await ping(ns(LAB, 'pod', 'pod1'), '10.244.1.3')).code).toBe(0);
    } finally {
      await netlab(['down', LAB]);
    }
  });
});

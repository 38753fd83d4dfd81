import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { findPlugin } from '../../src/kernel/cni.js';
import { parseConflist, REFERENCE_CONFLIST_TEXT } from '../../src/lab/conflist.js';
import { pluginConfig } from '../../src/plan/cni-config.js';
import { flannelDelegate, subnetEnvOf, subnetEnvText } from '../../src/plan/cni-flannel.js';
import { planLab } from '../../src/plan/index.js';
import type { CniAdd } from '../../src/plan/ops.js';
import { planToShell } from '../../src/plan/shell.js';
import { bridgeNodes } from '../../src/lab/node-pods.js';
import { labOf, shippedLab } from '../helpers/labs.js';

const adds = (lab: ReturnType<typeof shippedLab>, conflist?: Parameters<typeof planLab>[1]['conflist']) =>
  planLab(lab, { stateDir: `/run/netlab/${lab.name}`, ...(conflist ? { conflist } : {}) })
    .stages.flatMap((s) => s.ops)
    .filter((op): op is CniAdd => op.kind === 'cni.add');

describe('conflists', () => {
  it('are refused with positions in the conflist file for what netlab relies on', () => {
    const r = parseConflist('bad.conflist', readFileSync('test/fixtures/cni/bad.conflist', 'utf8'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      'bad.conflist:2:11: name: must be a network name: letters, digits, _ . -, starting with a letter or digit',
      'bad.conflist:3:17: cniVersion: must be one of 0.4.0, 1.0.0, 1.1.0 (netlab runs CHECK on every pod, which needs 0.4.0 or later)',
      'bad.conflist:5:15: plugins[0].type: must name a plugin binary: letters, digits, _ . -, no path (the binary is looked up in network.cni.path, as CNI_PATH)',
      "bad.conflist:6:48: plugins[1].delegate.ipam: flannel sets the delegate's ipam itself (remove it)",
      'bad.conflist:7:42: plugins[2].capabilities: must map capability names to true or false',
    ]);
  });

  it('refuses a path as any plugin type at any depth: flannel’s delegate, an ipam, something nested (a delegate once ran /bin/sh as root)', () => {
    const text = `{"name":"evilnet","cniVersion":"1.0.0","plugins":[
  {"type":"flannel","delegate":{"type":"../../../bin/sh","x":"$(id>/tmp/pwned)"}},
  {"type":"bridge","ipam":{"type":"/bin/sh"}},
  {"type":"tuning","deep":{"list":[{"type":"../sh"}]}},
  {"type":"portmap","x":{"type":".hidden"}}
]}`;
    const r = parseConflist('evil.conflist', text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => `${p.position.line}:${p.position.col} ${p.path}`)).toEqual([
      '2:40 plugins[0].delegate.type',
      '3:35 plugins[1].ipam.type',
      '4:44 plugins[2].deep.list[0].type',
      '5:33 plugins[3].x.type',
    ]);
  });

  it('refuses a plugin configuration nested past 32 levels, before any walk runs deep', () => {
    const deep = `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`;
    const r = parseConflist('deep.conflist', `{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"bridge","a":${deep}}]}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.some((p) => /nested deeper than 32 levels/.test(p.message))).toBe(true);
  });

  it('the runner itself refuses a hostile name, and a name that resolves outside the directories', async () => {
    await expect(findPlugin('../../../bin/sh', ['/usr/lib/cni'])).rejects.toThrow(/not a plain binary name: refused/);
    await expect(findPlugin('/bin/sh', ['/usr/lib/cni'])).rejects.toThrow(/not a plain binary name: refused/);
  });

  it('kube-flannel’s list is the reference mode’s, at a version with CHECK', () => {
    const r = parseConflist('reference', REFERENCE_CONFLIST_TEXT);
    expect(r.ok && r.conflist.plugins.map((p) => p.type)).toEqual(['flannel', 'portmap']);
    expect(r.ok && r.conflist.cniVersion).toBe('1.0.0');
  });
});

describe("flannel's CNI plugin, as netlab does it", () => {
  const lab = shippedLab('cni-reference');
  const node1 = bridgeNodes(lab)[0]!;
  const env = subnetEnvOf(lab, node1);

  it('writes subnet.env as flanneld does', () => {
    expect(subnetEnvText(env)).toBe('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.0.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n');
  });

  it('completes the delegate: bridge, isGateway, no masquerade of its own, the MTU, host-local over the node subnet, the pod-network route', () => {
    const d = flannelDelegate(
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      'cbr0',
      '1.0.0',
      env,
      '/run/netlab/x/cni/ipam/node1',
    );
    expect(d).toEqual({
      hairpinMode: true,
      isDefaultGateway: true,
      name: 'cbr0',
      type: 'bridge',
      ipMasq: false,
      mtu: 1450,
      isGateway: true,
      cniVersion: '1.0.0',
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.244.0.0/24' }]],
        routes: [{ dst: '10.244.0.0/16', gw: '10.244.0.1' }],
        dataDir: '/run/netlab/x/cni/ipam/node1',
      },
    });
  });

  it('keeps what the delegate sets, and sets isGateway only for bridge', () => {
    const d = flannelDelegate({ type: 'flannel', delegate: { type: 'ptp', ipMasq: true, mtu: 1400 } }, 'ptpnet', '1.0.0', env, '/d');
    expect(d).toMatchObject({ type: 'ptp', ipMasq: true, mtu: 1400 });
    expect(d).not.toHaveProperty('isGateway');
  });
});

describe('the CNI runtime’s plan', () => {
  it('attaches loopback, then the list, per pod in pod order on each node; no cni0 of netlab’s', () => {
    const lab = shippedLab('cni-reference');
    const ops = adds(lab);
    expect(ops.map((o) => `${o.pod}/${o.ifname}`)).toEqual(['pod1/lo', 'pod1/eth0', 'pod2/lo', 'pod2/eth0', 'pod3/lo', 'pod3/eth0', 'pod4/lo', 'pod4/eth0']);
    expect(ops.map((o) => o.order)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const eth0 = ops[1]!;
    expect(eth0).toMatchObject({
      netns: 'netlab.cni-reference.node.node1',
      containerId: 'netlab.cni-reference.pod.pod1',
      network: 'cbr0',
      cniPath: ['/usr/lib/cni'],
      cacheFile: '/run/netlab/cni-reference/cni/results/cbr0-netlab.cni-reference.pod.pod1-eth0',
      expectAddress: '10.244.0.2/24',
      args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod1;K8S_POD_INFRA_CONTAINER_ID=netlab.cni-reference.pod.pod1',
    });
    expect(eth0.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    const all = planLab(lab, { stateDir: '/run/netlab/cni-reference' }).stages.flatMap((s) => s.ops);
    expect(all.some((op) => op.kind === 'link.add.bridge' && op.name === 'cni0')).toBe(false);
    expect(all).toContainEqual(expect.objectContaining({ kind: 'file.write', path: '/run/netlab/cni-reference/cni/node1/subnet.env' }));
  });

  it('gives runtimeConfig only to plugins that declare the capability, as libcni does', () => {
    const lab = labOf({
      name: 'hp',
      network: { cni: 'reference' },
      nodes: [{ name: 'n1' }],
      pods: [{ name: 'a', containers: [{ name: 'c', ports: [{ containerPort: 8080, hostPort: 30080 }] }] }],
    });
    const eth0 = adds(lab).find((o) => o.ifname === 'eth0')!;
    expect(eth0.runtimeConfig).toEqual({ portMappings: [{ hostPort: 30080, containerPort: 8080, protocol: 'tcp' }] });
    const [bridge, portmap] = eth0.plugins;
    expect(pluginConfig(eth0, bridge!, undefined)).not.toHaveProperty('runtimeConfig');
    const conf = pluginConfig(eth0, portmap!, { cniVersion: '1.0.0', ips: [] });
    expect(conf).toMatchObject({ name: 'cbr0', cniVersion: '1.0.0', runtimeConfig: { portMappings: [{ hostPort: 30080 }] }, prevResult: { ips: [] } });
  });

  it('prints as a script that chains each plugin’s result into the next', () => {
    const script = planToShell(planLab(shippedLab('cni-reference'), { stateDir: '/run/netlab/cni-reference' }), {
      agentPath: '/a.py',
      speakerPath: '/s.py',
      python: 'python3',
    });
    expect(script).toContain('# CNI ADD: pod pod1, network cbr0, eth0: bridge → portmap');
    expect(script).toMatch(
      /prev=\$\(printf '%s' '\{.*"type":"bridge".*' \| ip netns exec netlab\.cni-reference\.node\.node1 env -i .*CNI_COMMAND=ADD .*\/usr\/lib\/cni\/bridge\)/,
    );
    expect(script).toMatch(/prev=\$\(\{ printf '%s' '\{"type":"portmap".*,"prevResult":'; printf '%s' "\$prev"; printf '\}'; \} \| ip netns exec/);
  });

  it('plans a conflist lab with the list it is given, and refuses to plan one without', () => {
    const lab = labOf({ name: 'cl', network: { cni: { conflist: 'x.conflist' } }, nodes: [{ name: 'n1' }], pods: [{ name: 'a' }] });
    expect(() => adds(lab)).toThrow(/none was given to the plan/);
    const parsed = parseConflist('x', '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"ptp","ipam":{"type":"host-local","subnet":"10.244.0.0/24"}}]}');
    const ops = adds(lab, parsed.ok ? parsed.conflist : undefined);
    expect(ops.find((o) => o.ifname === 'eth0')!.plugins).toEqual([
      { type: 'ptp', ipam: { type: 'host-local', subnet: '10.244.0.0/24', dataDir: '/run/netlab/cl/cni/ipam/n1' } },
    ]);
  });

  it('keeps every IPAM store under the lab, whatever dataDir the list names (it wrote there as root)', () => {
    const lab = labOf({ name: 'cl', network: { cni: { conflist: 'x.conflist' } }, nodes: [{ name: 'n1' }], pods: [{ name: 'a' }] });
    const parsed = parseConflist(
      'x',
      '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"bridge","ipam":{"type":"host-local","dataDir":"/etc/evil","subnet":"10.244.0.0/24"}}]}',
    );
    const ops = adds(lab, parsed.ok ? parsed.conflist : undefined);
    const ipam = ops.find((o) => o.ifname === 'eth0')!.plugins[0]!.ipam as Record<string, unknown>;
    expect(ipam.dataDir).toBe('/run/netlab/cl/cni/ipam/n1');
  });
});

import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffFacts, kernelFacts } from '../helpers/kernel-state.js';
import { isRoot, netlab, writeLab } from '../helpers/kernel.js';

const BUILTIN = 'it-fid-builtin';
const REFERENCE = 'it-fid-reference';
const PLACES = ['node.node1', 'node.node2', 'pod.pod1', 'pod.pod2', 'pod.pod3', 'pod.pod4'];

/**
 * The differences between netlab's own wiring and the CNI reference plugins'
 * that are there on purpose, each with its reason. Host veth names are
 * compared by the pod they lead to (`veth(pod1)`): the plugins name them at
 * random, netlab by a hash of the pod, and a name says nothing else.
 */
const DELIBERATE: Array<{ fact: RegExp; why: string }> = [
  {
    fact: / link \S+ mac$/,
    why: 'MACs: netlab derives them from the names, so a lab prints the same on every run, in every doc and test; the plugins take random ones',
  },
  {
    fact: /^(pod\.\S+ link eth0|node\.\S+ link veth\(\S+\)) ipv6 addrgenmode$/,
    why: "No IPv6 link-local address on either end of a pod's veth (addrgenmode none): the lab's pod network is IPv4, and each link-local address makes probes, solicitations and MLD reports (cni0 floods the pod's to every other pod, work quadratic in a node's pods) and DAD work under the RTNL lock: a quarter of the CPU of a 10,000-pod up, and 2 of its last 14 seconds",
  },
  {
    fact: /^pod\.\S+ link eth0 sysctl ipv6\/conf\/accept_dad$/,
    why: "IPv6 DAD in pods: the bridge plugin turns it off; netlab leaves the setting alone, since an IPv6 sysctl is written only through /proc/sys, whose lookup walks every namespace's entry (one per pod made a 5,000-pod up quadratic), and a pod has no IPv6 address to probe",
  },
];

describe.skipIf(!isRoot)('builtin wiring is the reference plugins’ wiring', () => {
  beforeAll(async () => {
    // The same lab both ways: two-node as shipped, and with one line more.
    const text = readFileSync('labs/two-node.yaml', 'utf8');
    const builtin = await writeLab(BUILTIN, text.replace(/^name: .*$/m, `name: ${BUILTIN}`));
    const reference = await writeLab(
      REFERENCE,
      text.replace(/^name: .*$/m, `name: ${REFERENCE}`).replace('  vxlan: { vni: 1, port: 8472 }\n', '  vxlan: { vni: 1, port: 8472 }\n  cni: reference\n'),
    );
    for (const file of [builtin, reference]) {
      const up = await netlab(['up', file]);
      expect(up.code, up.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await netlab(['down', BUILTIN]);
    await netlab(['down', REFERENCE]);
  });

  it('differs, object by object, only where it means to', async () => {
    const a = await kernelFacts(BUILTIN, PLACES);
    const b = await kernelFacts(REFERENCE, PLACES);
    // Links, addresses, routes, sysctls, bridge and port settings of every node and pod.
    expect(a.size).toBeGreaterThan(150);
    const differences = diffFacts(a, b);
    const unexplained = differences.filter((d) => !DELIBERATE.some((x) => x.fact.test(d.key)));
    expect(unexplained.map((d) => `${d.key}: builtin ${d.a}, reference ${d.b}`)).toEqual([]);
    // Each deliberate difference is there (a reason for nothing would hide a change).
    for (const x of DELIBERATE)
      expect(
        differences.some((d) => x.fact.test(d.key)),
        x.why,
      ).toBe(true);
  });

  it('would see a difference: one sysctl changed in one pod is named', async () => {
    await execa('ip', ['netns', 'exec', `netlab.${BUILTIN}.pod.pod1`, 'sysctl', '-qw', 'net.ipv4.conf.eth0.arp_notify=0']);
    const differences = diffFacts(await kernelFacts(BUILTIN, PLACES), await kernelFacts(REFERENCE, PLACES));
    expect(differences.filter((d) => !DELIBERATE.some((x) => x.fact.test(d.key)))).toEqual([
      { key: 'pod.pod1 link eth0 sysctl ipv4/conf/arp_notify', a: '0', b: '1' },
    ]);
  });
});

import type { Lab } from '../lab/types.js';
import { runtimeSockets } from './containers.js';
import type { Op, Plan } from './ops.js';

/*
 * What a plan needs of the machine, read off the plan itself: each kind of
 * op names the programs that carry it out, and the lab's features the
 * kernel features they rely on. `up` checks this list (kernel/preflight.ts
 * requireNeeds) before it makes anything, so a feature added as new ops
 * brings its own requirements, and no command keeps a list per feature.
 */

/** A program netlab runs for a plan (kernel/preflight.ts knows each one's package). */
export type Program = 'ip' | 'bridge' | 'tc' | 'nsenter' | 'python3' | 'nft' | 'iptables-restore' | 'dnsmasq' | 'bird' | 'birdc' | 'nginx' | 'openssl';

/** A kernel feature probed before anything is made: IP_VS (kube-proxy ipvs), bridge netfilter (Services), the ipip module (Calico IP-in-IP). */
export type KernelFeature = 'ip_vs' | 'br_netfilter' | 'ipip';

export type Need =
  | { kind: 'program'; program: Program }
  | { kind: 'kernel'; feature: KernelFeature }
  /** The CNI plugins the list names, in the directories it may run them from. */
  | { kind: 'cni-plugins'; dirs: string[]; types: string[] }
  /** The container runtime holds a socket per listening port. */
  | { kind: 'open-files'; sockets: number };

/** The programs one op is carried out with. Exhaustive: a new kind of op must say what it runs. */
function programsOf(op: Op): Program[] {
  switch (op.kind) {
    // Made by the apply helper (rtnetlink from Python) or `ip -batch` entered with nsenter.
    case 'netns.add':
    case 'link.add.veth':
    case 'link.add.bridge':
    case 'link.add.vxlan':
    case 'link.up':
    case 'link.delete':
    case 'link.master':
    case 'link.hairpin':
    case 'link.addrgenmode':
    case 'link.arp.on':
    case 'addr.add':
    case 'route.add':
    case 'route.delete':
    case 'neigh.replace':
    case 'sysctl.set':
      return ['python3', 'ip', 'nsenter'];
    case 'fdb.replace':
      return ['python3', 'bridge', 'nsenter'];
    case 'qdisc.delete':
      return ['ip', 'tc'];
    case 'route.blackhole':
      return ['ip'];
    case 'file.write':
      return [];
    case 'process.start':
    case 'speaker.start':
      return ['python3'];
    case 'nft.load':
      return ['ip', 'nft'];
    case 'iptables.restore':
      return ['ip', 'iptables-restore'];
    case 'daemon.start':
      return ['ip', op.name];
    case 'bgp.establish':
      return ['birdc'];
    case 'cni.add':
      return ['python3'];
    case 'tls.issue':
      return ['openssl'];
  }
}

/** The kernel features the lab's features rely on, which no op names (a module's device, a hook on bridged frames). */
function kernelFeatures(lab: Lab): KernelFeature[] {
  const features: KernelFeature[] = [];
  if (lab.network.kubeProxy.mode === 'ipvs') features.push('ip_vs');
  // A pod reaching a Service whose endpoint shares its bridge is only translated when bridged frames pass netfilter.
  if (lab.services.length > 0 || lab.network.kubeProxy.mode !== 'nftables') features.push('br_netfilter');
  const backend = lab.network.backend;
  if (backend.kind === 'calico' && backend.encapsulation.kind === 'ipip') features.push('ipip');
  return features;
}

/** Everything the plan needs of the machine, each once, in the order it is best checked: programs, then the kernel, then files. */
export function planNeeds(lab: Lab, plan: Plan): Need[] {
  const ops = plan.stages.flatMap((s) => s.ops);
  const programs = new Set<Program>(['ip', 'python3']);
  for (const op of ops) for (const p of programsOf(op)) programs.add(p);
  const needs: Need[] = [...programs].map((program) => ({ kind: 'program', program }));
  for (const feature of kernelFeatures(lab)) needs.push({ kind: 'kernel', feature });
  const adds = ops.filter((op) => op.kind === 'cni.add');
  if (adds.length > 0)
    needs.push({ kind: 'cni-plugins', dirs: [...new Set(adds.flatMap((op) => op.cniPath))], types: adds.flatMap((op) => op.plugins.map((p) => p.type)) });
  const sockets = runtimeSockets(lab);
  if (sockets > 0) needs.push({ kind: 'open-files', sockets });
  return needs;
}

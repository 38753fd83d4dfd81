import { bgpAnnouncements } from '../lab/bgp-announcements.js';
import { UsageError } from '../errors.js';
import { runBirdc } from '../kernel/bird.js';
import { execInNetns } from '../kernel/exec.js';
import { listNetlabNetns } from '../kernel/netns.js';
import { BIRDC, TCPDUMP, preflight } from '../kernel/preflight.js';
import { objectNameProblem } from '../lab/names.js';
import { canonicalRef, findByRef } from '../lab/namespaces.js';
import { birdFiles } from '../plan/bird.js';
import { labDir } from '../state/paths.js';
import { readState } from '../state/store.js';
import { checkedLabName, runningLab } from './target.js';

/*
 * The commands that enter a running lab's namespace for a person: a command
 * (exec), tcpdump (capture), birdc (bgp). Each is attached to the terminal
 * and ends with the program's own exit code.
 */

/** `exec`: a command inside a node's or pod's namespace (NODE, POD or NAMESPACE/POD). */
export async function execIn(labName: string, target: string, argv: string[]): Promise<number> {
  const lab = checkedLabName(labName);
  // Each part a DNS label, so no path or option can hide in it.
  const problem = target.split('/').length > 2 ? `"${target}" is not NODE, POD or NAMESPACE/POD` : target.split('/').map(objectNameProblem).find(Boolean);
  if (problem) throw new UsageError(problem);
  await preflight([]);
  return execInNetns(await netnsOf(lab, target), argv);
}

async function netnsOf(lab: string, target: string): Promise<string> {
  const read = await readState(lab);
  if (read.kind === 'ok') {
    const { nodes, pods } = read.state.lab;
    const hit = nodes.find((n) => n.name === target) ?? findByRef(pods, target).found ?? (target === 'external' ? read.state.lab.external : undefined);
    if (hit) return hit.netns;
    const names = [...nodes.map((n) => n.name), ...pods.map((p) => p.name)];
    throw new UsageError(`lab "${lab}" has no node or pod named "${target}" (it has: ${names.join(', ')})`);
  }
  // No usable state: the namespace names themselves say what is there.
  const present = await listNetlabNetns(lab);
  const pod = canonicalRef(target).replace('/', '.');
  const hit = present.find((n) => n.endsWith(`.node.${target}`) || n.endsWith(`.pod.${pod}`));
  if (hit) return hit;
  throw new UsageError(present.length === 0 ? `lab "${lab}" is not up` : `lab "${lab}" has no node or pod named "${target}"`);
}

/** `capture`: tcpdump on NODE-OR-POD:IFACE, line-buffered by default; `-w FILE` passes through. */
export async function captureOn(labName: string, where: string, args: string[]): Promise<number> {
  const lab = checkedLabName(labName);
  const m = /^([a-z]([a-z0-9-]*[a-z0-9])?):([A-Za-z0-9_.@-]{1,15})$/.exec(where);
  if (!m) throw new UsageError(`"${where}" is not NODE-OR-POD:INTERFACE (e.g. node1:eth0, pod1:eth0, node2:flannel.1)`);
  await preflight([TCPDUMP]);
  const { nodes, pods, external } = await runningLab(lab);
  const target = nodes.find((n) => n.name === m[1]) ?? pods.find((p) => p.name === m[1]) ?? (m[1] === 'external' ? external : undefined);
  if (!target) throw new UsageError(`lab "${lab}" has no node or pod named "${m[1]}"`);
  // -l: line-buffered, so a workshop projector shows each packet as it happens.
  return execInNetns(target.netns, ['tcpdump', '-i', m[3]!, ...(args.length > 0 ? args : ['-nn', '-e', '-l'])]);
}

/**
 * `bgp`: birdc against a BIRD of the lab, for the commands birdc-command.ts
 * allows: a Calico node's, or with MetalLB's BGPPeers a node's speaker and
 * the router (`external`).
 */
export async function birdcOn(labName: string, node: string, argv: string[]): Promise<number> {
  const lab = checkedLabName(labName);
  const problem = objectNameProblem(node);
  if (problem) throw new UsageError(problem);
  await preflight([BIRDC]);
  const running = await runningLab(lab);
  const { nodes, network } = running;
  const speakers = bgpAnnouncements(running);
  const calico = network.backend.kind === 'calico';
  if (!calico && speakers.size === 0)
    throw new UsageError(
      `lab "${lab}" runs no BGP: its backend is ${network.backend.kind} and it has no MetalLB BGPPeer (BGP comes with network.backend: calico, or metallb.bgpPeers)`,
    );
  const speaking = calico ? nodes.map((n) => n.name) : [...[...speakers.keys()], 'external'];
  if (!speaking.includes(node)) throw new UsageError(`lab "${lab}" has no BIRD on "${node}" (it runs one on: ${speaking.join(', ')})`);
  return runBirdc(birdFiles(labDir(lab), node).socket, argv);
}

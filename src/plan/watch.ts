import { createHash } from 'node:crypto';
import { describeNetns } from '../lab/names.js';
import type { NamespaceQuery } from './live.js';
import type { Op, Plan } from './ops.js';

/** What the watcher (runtime/netlab-watch.py) is started with. */
export interface WatchConfig {
  /** runtime/netlab_ns.py PROTOCOL. */
  protocol: number;
  /** The Unix socket it answers on. */
  socket: string;
  /** The namespaces it watches (their state at its start is the baseline), each with the devices whose settings the plan sets. */
  namespaces: Array<{ netns: string; devices: string[] }>;
  /** The namespaces at the other end of the watched ones' veths (their nodes): given the first ids, for speed. */
  peers: string[];
}

/** The watcher's answer: what changed since its baseline. */
export interface WatchReport {
  protocol: number;
  pid: number;
  /** sha256 of the watched namespaces' names, one per line: which list it was given. */
  watched: string;
  /** The kernel dropped notifications (the socket overflowed): nothing it says can be trusted. */
  lost: boolean;
  /** Namespaces notified of a change, gone, made anew or with an interface setting changed. */
  changed: string[];
}

/**
 * Where a lab's watcher keeps its files, in the lab's state directory, and
 * `query`: what `status` reads of the kernel every time (all but the watched
 * namespaces), written with the watcher.
 */
export function watchFiles(stateDir: string): { config: string; socket: string; log: string; query: string } {
  return { config: `${stateDir}/watch.json`, socket: `${stateDir}/watch.sock`, log: `${stateDir}/watch.log`, query: `${stateDir}/status-query.json` };
}

/**
 * Kinds of op whose objects the kernel announces when they change (links,
 * IPv4 addresses, IPv4 routes) or that the watcher compares itself (an
 * interface's settings): a namespace made only of these can be watched.
 * Neighbours are left out on purpose (traffic changes them all the time),
 * and so is everything that is not a kernel object: tables, daemons.
 */
const WATCHED_KINDS: ReadonlySet<Op['kind']> = new Set([
  'netns.add',
  'link.add.veth',
  'link.add.bridge',
  'link.add.vxlan',
  'link.up',
  'link.master',
  'link.hairpin',
  'link.addrgenmode',
  'addr.add',
  'route.add',
  'sysctl.set',
  'cni.add',
]);

/** `net.ipv4.conf.eth0.arp_notify`: a setting of one interface, which the link dump carries. */
const INTERFACE_SETTING = /^net\.ipv[46]\.conf\.(?!all\.|default\.)[^.]+\.[a-z0-9_]+$/;

/**
 * The pod namespaces whose whole planned state the watcher can vouch for:
 * every op in them is of a watched kind, and every sysctl is an interface
 * setting. Nodes and the fabric are not watched: `status` reads them every
 * time (a few dozen namespaces, with the neighbours and FDB entries that
 * traffic rewrites).
 */
export function watchedNamespaces(plan: Plan): string[] {
  const made: string[] = [];
  const unwatchable = new Set<string>();
  for (const stage of plan.stages) {
    for (const op of stage.ops) {
      if (op.kind === 'netns.add') made.push(op.netns);
      else if ('netns' in op && (!WATCHED_KINDS.has(op.kind) || (op.kind === 'sysctl.set' && !INTERFACE_SETTING.test(op.key)))) unwatchable.add(op.netns);
    }
  }
  return made.filter((n) => !unwatchable.has(n) && describeNetns(n).kind === 'pod');
}

/**
 * The number of watched pods from which `up` starts a watcher unless told
 * (`--watch`, `--no-watch`). `status --full` reads every namespace: on the
 * project's 2-core machine 0.59 s at 2,000 pods, 0.94 s at 5,000, 1.63 s at
 * 10,000 (docs/performance.md), so a full read misses the 1 s goal from about
 * 5,400 pods; 4,000 leaves a quarter for a slower machine. Below it a watcher
 * would cost every rtnetlink notification on the host for under a tenth of a
 * second saved.
 */
export const WATCH_FROM_PODS = 4000;

/** Whether a watcher pays for this plan: enough watched pods that reading them all misses the 1 s goal. */
export function watchPays(plan: Plan): boolean {
  return watchedNamespaces(plan).length >= WATCH_FROM_PODS;
}

/** The watcher's configuration for a plan. */
export function watchConfig(plan: Plan, stateDir: string, protocol: number): WatchConfig {
  const devices = new Map(watchedNamespaces(plan).map((n) => [n, new Set<string>()]));
  const peers = new Set<string>();
  for (const stage of plan.stages) {
    for (const op of stage.ops) {
      // sysctl writes `flannel/1` for the device flannel.1.
      if (op.kind === 'sysctl.set') devices.get(op.netns)?.add(op.key.split('.')[3]!.replace('/', '.'));
      if (op.kind === 'link.add.veth' && devices.has(op.peer.netns) && !devices.has(op.netns)) peers.add(op.netns);
    }
  }
  return {
    protocol,
    socket: watchFiles(stateDir).socket,
    namespaces: [...devices].map(([netns, d]) => ({ netns, devices: [...d] })),
    peers: [...peers],
  };
}

/**
 * What `status` reads every time: the plan's query (drift.ts whatToRead)
 * but for the watched namespaces, as text (the key of its head start).
 */
export function unwatchedQuery(query: Map<string, NamespaceQuery>, watched: ReadonlySet<string>): { query: Map<string, NamespaceQuery>; text: string } {
  const rest = new Map([...query].filter(([n]) => !watched.has(n)));
  return { query: rest, text: JSON.stringify([...rest]) };
}

/** What the watcher reports as `watched` for these names (netlab-watch.py computes the same). */
export function watchedDigest(namespaces: string[]): string {
  return createHash('sha256').update(namespaces.join('\n')).digest('hex');
}

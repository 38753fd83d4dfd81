import type { LiveLab, LiveLink, LiveNetns, NamespaceQuery } from './live.js';
import type { Op, Plan } from './ops.js';
import { linkNamed, place } from './live-names.js';
import { unplanned } from './unplanned.js';
import { compareImages, withoutCniChains } from './table-image.js';

/** One planned object the kernel does not have as planned. */
export interface Drift {
  op: Op;
  /** In words, for `status`: `node node1: link flannel.1 is missing`. */
  what: string;
  /** True when it follows from another drift (its namespace or link is gone), so `status` need not list it. */
  dependent: boolean;
  /** An op of no plan that removes what is not planned (a table someone added): the repair runs it first. */
  removal?: true;
}

/** A link that exists but is not the one planned: it must go before the planned one can be made. */
export interface WrongLink {
  netns: string;
  name: string;
  what: string;
}

export interface LabDrift {
  missing: Drift[];
  wrong: WrongLink[];
}

/**
 * Compares the plan with the kernel, object by object: every namespace,
 * device, address, route, neighbour, FDB entry and sysctl the plan makes, and
 * the container runtime. Pure: the live state is an argument.
 */
export function findDrift(plan: Plan, live: LiveLab): LabDrift {
  const missing: Drift[] = [];
  const wrong: WrongLink[] = [];
  const gone = new Set<string>();
  const unchanged = new Set(live.unchanged);
  const depends = (netns: string, ...links: Array<string | undefined>) => gone.has(netns) || links.some((l) => l !== undefined && gone.has(`${netns}/${l}`));
  const ops = plan.stages.flatMap((s) => s.ops);
  for (const op of ops) {
    // A lab's certificates are files nginx has read; what it serves is what the tests see.
    if (op.kind === 'tls.issue') continue;
    if (op.kind === 'file.write') {
      // A file netlab writes that was deleted or edited (a pod's resolv.conf): its next read sees other servers.
      const content = live.files?.[op.path];
      if (content !== undefined && content !== op.content)
        missing.push({ op, what: `file ${op.path} ${content === null ? 'is missing' : 'was changed: it is not what netlab wrote'}`, dependent: false });
      continue;
    }
    if (op.kind === 'daemon.start') {
      const gone = !live.namespaces[op.netns];
      if (gone || live.daemons?.[op.netns] === false) missing.push({ op, what: `${place(op.netns)}: ${op.name} is not running`, dependent: gone });
      continue;
    }
    if (op.kind === 'speaker.start') {
      const gone = !live.namespaces[op.netns];
      if (gone || live.speakers?.[op.netns] === false)
        missing.push({ op, what: `node ${op.node}: the MetalLB speaker is not running: nobody there answers ARP for its LoadBalancer IPs`, dependent: gone });
      continue;
    }
    if (op.kind === 'bgp.establish') {
      const drift = bgpDrift(op, live);
      if (drift) missing.push(drift);
      continue;
    }
    if (op.kind === 'process.start') {
      if (live.agentRunning === false) missing.push({ op, what: 'the container runtime is not running: pod ports are not served', dependent: false });
      continue;
    }
    if (unchanged.has(op.netns)) continue;
    const ns = live.namespaces[op.netns];
    if (op.kind === 'netns.add') {
      if (!ns) {
        gone.add(op.netns);
        missing.push({ op, what: `namespace ${op.netns} is missing`, dependent: false });
      }
      continue;
    }
    const where = place(op.netns);
    if (!ns) {
      missing.push({ op, what: `${where}: ${op.kind}`, dependent: true });
      continue;
    }
    const problem = check(op, ns, live, unchanged);
    if (problem === undefined) continue;
    if (op.kind === 'cni.add') {
      missing.push({ op, what: problem, dependent: gone.has(op.podNetns) });
      continue;
    }
    if (op.kind === 'link.add.bridge' || op.kind === 'link.add.veth' || op.kind === 'link.add.vxlan') {
      gone.add(`${op.netns}/${op.name}`);
      if (op.kind === 'link.add.veth') gone.add(`${op.peer.netns}/${op.peer.name}`);
      const existing = linkNamed(ns, op.name);
      if (existing) wrong.push({ netns: op.netns, name: op.name, what: `${where}: ${problem}` });
    }
    // A veth whose other end's namespace is gone went with it; other links are causes, not consequences.
    const dependent = op.kind === 'link.add.veth' ? gone.has(op.peer.netns) : depends(op.netns, ...linksOf(op)) && !op.kind.startsWith('link.add');
    missing.push({ op, what: `${where}: ${problem}`, dependent });
  }
  missing.push(...unplanned(ops, live).map((r) => ({ ...r, dependent: false, removal: true as const })));
  return { missing, wrong };
}

function linksOf(op: Op): Array<string | undefined> {
  switch (op.kind) {
    case 'link.up':
    case 'link.hairpin':
    case 'link.addrgenmode':
      return [op.name];
    case 'link.master':
      return [op.name, op.master];
    case 'addr.add':
    case 'route.add':
    case 'neigh.replace':
    case 'fdb.replace':
      return [op.dev];
    case 'sysctl.set':
      return [op.key.split('.')[3]?.replace('/', '.')];
    default:
      return [];
  }
}

/** Why the kernel does not hold what `op` makes, or undefined when it does. */
function check(op: Op, ns: LiveNetns, live: LiveLab, unchanged: ReadonlySet<string>): string | undefined {
  const link = (name: string) => linkNamed(ns, name);
  switch (op.kind) {
    case 'link.add.bridge':
      return linkProblem(link(op.name), op.name, 'bridge', op.mac, op.mtu);
    case 'link.add.vxlan': {
      const l = link(op.name);
      const base = linkProblem(l, op.name, 'vxlan', op.mac, op.mtu);
      if (base || !l) return base;
      const v = l.vxlan;
      if (!v || v.id !== op.vni || v.local !== op.local || v.port !== op.port) {
        return `link ${op.name} is VXLAN ${v?.id} from ${v?.local} port ${v?.port}, not VNI ${op.vni} from ${op.local} port ${op.port}`;
      }
      return undefined;
    }
    case 'link.add.veth': {
      const base = linkProblem(link(op.name), op.name, 'veth', op.mac, op.mtu);
      if (base || unchanged.has(op.peer.netns)) return base;
      const peerNs = live.namespaces[op.peer.netns];
      const peer = peerNs ? linkNamed(peerNs, op.peer.name) : undefined;
      if (!peer || peer.mac !== op.peer.mac)
        return `the peer ${op.peer.name} of ${op.name} in ${place(op.peer.netns)} is ${peer ? `MAC ${peer.mac}, not ${op.peer.mac}` : 'missing'}`;
      // Both ends are made with the MTU: a pod's eth0 lowered by hand drops what the path carries.
      return peer.mtu === op.mtu ? undefined : `the peer ${op.peer.name} of ${op.name} in ${place(op.peer.netns)} has MTU ${peer.mtu}, not ${op.mtu}`;
    }
    case 'link.up': {
      const l = link(op.name);
      return l?.up ? undefined : `link ${op.name} is ${l ? 'down' : 'missing'}`;
    }
    case 'link.master': {
      const l = link(op.name);
      return l?.master === op.master ? undefined : `${op.name} is ${l ? `not a port of ${op.master}` : 'missing'}`;
    }
    case 'link.hairpin':
      return link(op.name)?.hairpin ? undefined : `${op.name} has hairpin mode off`;
    case 'link.addrgenmode': {
      const mode = link(op.name)?.addrGenMode;
      return mode === op.mode ? undefined : `${op.name} has IPv6 addrgenmode ${mode ?? 'unknown'}, not ${op.mode}`;
    }
    case 'addr.add':
      return ns.addresses.some((a) => a.dev === op.dev && a.address === op.address) ? undefined : `address ${op.address} on ${op.dev} is missing`;
    case 'route.add': {
      const dst = op.dst === 'default' ? 'default' : op.dst;
      const found = ns.routes.some((r) => r.dst === dst && r.dev === op.dev && r.via === op.via && (!op.onlink || r.onlink));
      return found ? undefined : `route ${dst}${op.via ? ` via ${op.via}` : ''} dev ${op.dev}${op.onlink ? ' onlink' : ''} is missing`;
    }
    case 'route.blackhole': {
      const r = ns.routes.find((x) => x.dst === op.dst && x.type === 'blackhole' && x.table === undefined);
      if (!r) return `blackhole ${op.dst} proto ${op.protocol} is missing`;
      return r.protocol === op.protocol ? undefined : `blackhole ${op.dst} is proto ${r.protocol ?? 'boot'}, not ${op.protocol}`;
    }
    case 'neigh.replace':
      return ns.neighbours.some((n) => n.dev === op.dev && n.address === op.address && n.lladdr === op.lladdr && n.permanent)
        ? undefined
        : `permanent neighbour ${op.address} lladdr ${op.lladdr} on ${op.dev} is missing`;
    case 'fdb.replace':
      return ns.fdb.some((f) => f.dev === op.dev && f.mac === op.mac && f.dst === op.dst)
        ? undefined
        : `FDB entry ${op.mac} dst ${op.dst} on ${op.dev} is missing`;
    case 'nft.load': {
      const live = ns.tables?.[op.table];
      if (live === undefined) return undefined; // not read: nothing to say
      if (live === null) return `nftables table ${op.table} is missing`;
      const differences = live.planned ? compareImages(op.table, live.planned, live.image) : [];
      return differences.length > 0 ? differences.join('; ') : undefined;
    }
    case 'iptables.restore': {
      const live = ns.tables?.['iptables'];
      if (live === undefined) return undefined;
      if (live === null) return "kube-proxy's iptables rules cannot be read";
      // The CNI plugins' own chains (portmap, bridge's masquerade) are theirs, not netlab's plan.
      const differences = live.planned ? compareImages('iptables', withoutCniChains(live.planned), withoutCniChains(live.image)) : [];
      return differences.length > 0 ? differences.join('; ') : undefined;
    }
    case 'cni.add': {
      if (unchanged.has(op.podNetns)) return undefined;
      // What the plugins made is seen from the pod: its loopback up, its interface holding the planned address.
      const pod = live.namespaces[op.podNetns];
      if (!pod) return `pod ${op.pod} is gone`;
      if (op.ifname === 'lo') return pod.links.find((l) => l.name === 'lo')?.up ? undefined : `pod ${op.pod}: lo is down (CNI loopback)`;
      if (!op.expectAddress || pod.addresses.some((a) => a.dev === op.ifname && a.address === op.expectAddress)) return undefined;
      return `pod ${op.pod}: ${op.ifname} lacks ${op.expectAddress}, which the ${op.network} plugins gave it`;
    }
    case 'sysctl.set': {
      const value = ns.sysctls[op.key];
      return value === op.value ? undefined : `sysctl ${op.key} is ${value ?? 'absent'}, not ${op.value}`;
    }
    default:
      return undefined;
  }
}

function linkProblem(l: LiveLink | undefined, name: string, kind: string, mac: string, mtu: number | undefined): string | undefined {
  if (!l) return `link ${name} is missing`;
  if (l.kind !== kind) return `link ${name} is a ${l.kind}, not a ${kind}`;
  if (l.mac !== mac) return `link ${name} has MAC ${l.mac}, not ${mac}`;
  if (mtu !== undefined && l.mtu !== mtu) return `link ${name} has MTU ${l.mtu}, not ${mtu}`;
  return undefined;
}

/**
 * What the observer must read of each namespace of the plan: its links,
 * addresses and routes, the sysctls it sets, and its neighbour and FDB
 * entries only where the plan makes some (a pod has none: two dumps fewer
 * per pod, which counts at 10,000 pods), on the devices it makes them on
 * (not the hundreds a node's bridge learns).
 */
export function whatToRead(plan: Plan): Map<string, NamespaceQuery> {
  const out = new Map<string, NamespaceQuery>();
  const of = (netns: string) => {
    let q = out.get(netns);
    if (!q) out.set(netns, (q = { read: ['links', 'addresses', 'routes', 'qdiscs', 'nftables'], sysctls: [] }));
    return q;
  };
  for (const op of plan.stages.flatMap((s) => s.ops)) {
    if (op.kind === 'netns.add') of(op.netns);
    if (op.kind === 'sysctl.set') of(op.netns).sysctls.push(op.key);
    if (op.kind === 'neigh.replace' || op.kind === 'fdb.replace') {
      const q = of(op.netns);
      const kind = op.kind === 'neigh.replace' ? 'neighbours' : 'fdb';
      if (!q.read.includes(kind)) q.read.push(kind);
      const devices = ((q.devices ??= {})[kind] ??= []);
      if (!devices.includes(op.dev)) devices.push(op.dev);
    }
  }
  return out;
}

/**
 * The plan cut down to what is missing, stages kept in order. Routes are
 * replaced rather than added, so one that exists in another form converges.
 * A new namespace or a runtime that is gone means the runtime starts again.
 */
export function repairPlan(plan: Plan, drift: LabDrift): Plan {
  // By content, not identity: the drift may have been found on another copy of the same plan.
  const missing = new Set(drift.missing.map((d) => JSON.stringify(d.op)));
  // A configuration edited under a running daemon that can be started over (nginx): rewritten, then started again, so the
  // daemon serves what the plan says, not what it read from the edited file.
  const edited = drift.missing.flatMap((d) => (d.op.kind === 'file.write' ? [d.op.path] : []));
  for (const op of plan.stages.flatMap((s) => s.ops))
    if (op.kind === 'daemon.start' && op.pidFile && op.argv.some((a) => edited.includes(a))) missing.add(JSON.stringify(op));
  const restartAgent = drift.missing.some((d) => d.op.kind === 'process.start' || d.op.kind === 'netns.add');
  // A daemon that starts again reads its configuration again: rewrite the files too.
  const rewrite = restartAgent || drift.missing.some((d) => d.op.kind === 'daemon.start' || d.op.kind === 'speaker.start');
  const removals = drift.missing.filter((d) => d.removal).map((d) => d.op);
  return {
    lab: plan.lab,
    stages: [
      ...(removals.length > 0 ? [{ name: 'services' as const, title: 'remove what netlab did not plan', barrier: false, ops: removals }] : []),
      ...plan.stages
        .map((stage) => ({
          ...stage,
          ops: stage.ops
            .filter((op) => missing.has(JSON.stringify(op)) || (rewrite && op.kind === 'file.write') || (restartAgent && op.kind === 'process.start'))
            .map((op) => (op.kind === 'route.add' ? { ...op, verb: 'replace' as const } : op)),
        }))
        .filter((stage) => stage.ops.length > 0),
    ],
  };
}

/** A node whose BIRD does not answer, or whose planned sessions are not all Established. */
function bgpDrift(op: Extract<Op, { kind: 'bgp.establish' }>, live: LiveLab): Drift | undefined {
  const where = op.node === 'external' ? 'the router (external)' : `node ${op.node}`;
  if (!live.namespaces[op.netns]) return { op, what: `${where}: BGP is gone with its namespace`, dependent: true };
  const sessions = live.bgp?.[op.netns];
  if (sessions === undefined) return undefined;
  // A dead daemon is said once, by its daemon.start.
  if (sessions === null) return { op, what: `${where}: BIRD does not answer on ${op.socket}`, dependent: live.daemons?.[op.netns] === false };
  const byName = new Map(sessions.map((s) => [s.name, s]));
  const down = op.sessions.filter((s) => !byName.get(s.name)?.established);
  if (down.length === 0) return undefined;
  const words = down.map(
    (s) => `${s.name} (${s.peerNode === 'external' ? 'the router' : `node ${s.peerNode}`}) is ${byName.get(s.name)?.state ?? 'unknown to BIRD'}`,
  );
  return { op, what: `${where}: BGP session${down.length > 1 ? 's' : ''} ${words.join(', ')}`, dependent: false };
}

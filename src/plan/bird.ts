import { podRangesOf } from '../lab/node-pods.js';
import type { CalicoBackend, Lab, Node } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import type { BgpEstablish, Op, PlanContext } from './ops.js';

/** How long `up` waits for a node's sessions and routes before it names the ones that did not come. */
export const BGP_ESTABLISH_TIMEOUT_MS = 30_000;

/** A node's BGP session: BIRD's protocol name and the peer it reaches. */
export interface BgpSession {
  name: string;
  peer: string;
  peerNode: string;
  /**
   * The peer connects to us. Calico makes each session one-way by comparing the two
   * addresses as strings (confd bgp_processor.go: `if peerIP > currentNodeIP { peer.Passive = true }`,
   * Go's byte-wise string order): of 192.168.19.9 and 192.168.19.10, .9 is the greater, so .10 waits and .9 connects.
   */
  passive: boolean;
  /** This node reflects the peer's routes to its other clients. */
  rrClient: boolean;
}

/** Where one node's BIRD keeps its files, under the lab's state directory. */
export function birdFiles(stateDir: string, node: string): { conf: string; socket: string; log: string; pid: string } {
  const base = `${stateDir}/bgp/${node}`;
  return { conf: `${base}.conf`, socket: `${base}.ctl`, log: `${base}.log`, pid: `${base}.pid` };
}

/**
 * calico/node's BGP: one BIRD per node, in the node's namespace, with its own
 * configuration, control socket, PID file and log under the state directory.
 * The daemons start once every node has its underlay address; then `up` waits
 * until every session is Established and every route installed.
 */
export function planBird(lab: Lab, backend: CalicoBackend, context: PlanContext): Contribution[] {
  return lab.nodes.map((node) => {
    const files = birdFiles(context.stateDir, node.name);
    const sessions = bgpSessions(lab, backend, node);
    const establish: BgpEstablish = {
      kind: 'bgp.establish',
      netns: node.netns,
      node: node.name,
      socket: files.socket,
      log: files.log,
      sessions: sessions.map((s) => ({ name: s.name, peer: s.peer, peerNode: s.peerNode })),
      routes: expectedRoutes(lab, backend, node),
      timeoutMs: BGP_ESTABLISH_TIMEOUT_MS,
    };
    const routing: Op[] = [
      { kind: 'file.write', path: files.conf, content: birdConf(lab, backend, node, files.log) },
      { kind: 'daemon.start', netns: node.netns, name: 'bird', argv: ['bird', '-c', files.conf, '-s', files.socket, '-P', files.pid] },
    ];
    return { routing, converge: [establish] };
  });
}

/**
 * Who peers with whom. A full mesh (Calico's node-to-node mesh): a `Mesh_`
 * session to every other node, passive toward peers whose address is the
 * greater string (BgpSession.passive). With a route
 * reflector: each node a `Node_` session to the reflector, which has one to
 * each of them as its route reflector client.
 */
export function bgpSessions(lab: Lab, backend: CalicoBackend, node: Node): BgpSession[] {
  const others = lab.nodes.filter((n) => n.name !== node.name);
  const session = (peer: Node, prefix: string, rrClient: boolean): BgpSession => ({
    name: `${prefix}_${peer.address.replace(/\./g, '_')}`,
    peer: peer.address,
    peerNode: peer.name,
    passive: peer.address > node.address,
    rrClient,
  });
  const reflector = backend.routeReflector;
  if (reflector === undefined) return others.map((peer) => session(peer, 'Mesh', false));
  if (node.name === reflector) return others.map((peer) => session(peer, 'Node', true));
  return others.filter((peer) => peer.name === reflector).map((peer) => session(peer, 'Node', false));
}

/** The kernel routes BIRD must install: the node's own blocks as blackholes, and other nodes' blocks unless felix's VXLAN carries them. */
export function expectedRoutes(lab: Lab, backend: CalicoBackend, node: Node): string[] {
  const own = podRangesOf(node);
  if (backend.encapsulation.kind === 'vxlan') return own;
  return [...own, ...lab.nodes.filter((n) => n.name !== node.name).flatMap(podRangesOf)];
}

/**
 * A node's bird.conf: Calico's templates (confd bird.cfg.template,
 * bird_aggr.cfg.template, bird_ipam.cfg.template) in bird2's syntax, with a
 * lab's timers instead of the internet's, so sessions come up in about a
 * second and a dead peer is noticed within 3.
 */
export function birdConf(lab: Lab, backend: CalicoBackend, node: Node, log: string): string {
  const sessions = bgpSessions(lab, backend, node);
  const blocks = podRangesOf(node);
  const reflector = backend.routeReflector === node.name;
  const kernelExport =
    backend.encapsulation.kind === 'vxlan'
      ? ["      # VXLAN blocks are felix's to route (vxlan.calico), not BIRD's.", '      if proto = "blocks" then accept;', '      reject;']
      : backend.encapsulation.kind === 'ipip'
        ? [
            '      if proto = "blocks" then accept;',
            '      # IP-in-IP: through tunl0 to the node that announced the block.',
            '      if source = RTS_BGP then { onlink = true; ifname = "tunl0"; gw = bgp_next_hop; accept; }',
            '      reject;',
          ]
        : ['      if proto = "blocks" then accept;', '      if source = RTS_BGP then accept;', '      reject;'];
  const lines = [
    `# BIRD for node ${node.name} of lab ${lab.name}: Calico's BGP (calico/node confd templates), in bird2 syntax.`,
    `router id ${node.address};`,
    `log "${log}" { info, remote, warning, error, auth, fatal, bug };`,
    'timeformat protocol "%T";',
    'debug protocols { states };',
    '',
    '# Watch the interfaces.',
    'protocol device { scan time 2; }',
    '',
    "# The node's blocks, announced whole (bird_aggr.cfg): a blackhole per block; the pods' /32 routes are felix's and never leave the node.",
    `protocol static blocks {\n  ipv4;\n${blocks.map((b) => `  route ${b} blackhole;`).join('\n')}${blocks.length > 0 ? '\n' : ''}}`,
    '',
    '# Into the kernel: the blackholes and the blocks learned from peers (bird_ipam.cfg); nothing is read back.',
    'protocol kernel {',
    '  ipv4 {',
    '    import none;',
    '    export filter {',
    ...kernelExport,
    '    };',
    '  };',
    '  learn off; persist off; scan time 2; merge paths on; metric 0;',
    '  graceful restart;',
    '}',
    '',
    `# Every session (bgp_template): iBGP in AS ${backend.asNumber} over the shared underlay, with a lab's timers.`,
    'template bgp calico {',
    `  local ${node.address} as ${backend.asNumber};`,
    '  direct;',
    '  connect delay time 1; connect retry time 1; error wait time 1, 5;',
    '  hold time 3; keepalive time 1;',
    '  graceful restart time 120;',
    '  ipv4 {',
    '    import all;',
    reflector
      ? '    # A reflector passes on what its clients announce, each route\'s next hop unchanged.\n    export where proto = "blocks" || source = RTS_BGP;'
      : '    export where proto = "blocks";\n    next hop self;',
    '  };',
    '}',
    '',
    ...sessions.map((s) =>
      [
        `protocol bgp ${s.name} from calico {`,
        `  description "node ${s.peerNode}";`,
        `  neighbor ${s.peer} as ${backend.asNumber};`,
        `  source address ${node.address};`,
        // Calico's comments, word for word (bgp_processor.go PassiveComment).
        ...(s.passive ? [`  passive on; # ${s.rrClient || s.name.startsWith('Node_') ? 'Peering' : 'Mesh'} is unidirectional, peer will connect to us.`] : []),
        ...(s.rrClient ? ['  rr client;', `  rr cluster id ${node.address};`] : []),
        '}',
      ].join('\n'),
    ),
    '',
  ];
  return lines.join('\n');
}

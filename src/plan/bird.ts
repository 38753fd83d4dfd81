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

/** One BIRD in a namespace: its configuration written, then the daemon started with its socket and PID file. */
export function startBird(netns: string, files: ReturnType<typeof birdFiles>, conf: string): Op[] {
  return [
    { kind: 'file.write', path: files.conf, content: conf },
    { kind: 'daemon.start', netns, name: 'bird', argv: ['bird', '-c', files.conf, '-s', files.socket, '-P', files.pid] },
  ];
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
    const routing = startBird(node.netns, files, birdConf(lab, backend, node, files.log));
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

/** The kernel routes BIRD must install: the node's own blocks as blackholes, and other nodes' blocks; none of a VXLAN pool (felix's). */
export function expectedRoutes(lab: Lab, backend: CalicoBackend, node: Node): string[] {
  if (backend.encapsulation.kind === 'vxlan') return [];
  const own = podRangesOf(node);
  return [...own, ...lab.nodes.filter((n) => n.name !== node.name).flatMap(podRangesOf)];
}

/**
 * A node's bird.conf: calico/node's confd output (bird.cfg, bird_aggr.cfg and
 * bird_ipam.cfg of confd/etc/calico/confd/templates, as the compiled goldens
 * under confd/tests/compiled_templates render them) in one file and in bird2's
 * syntax, so `birdc show protocols` names what a Calico node's does: kernel1,
 * device1, direct1, static1 and a `Mesh_`/`Node_` session per peer, with
 * Calico's timers. docs/calico.md lists, line by line, where bird2 makes it differ.
 */
export function birdConf(lab: Lab, backend: CalicoBackend, node: Node, log: string): string {
  const sessions = bgpSessions(lab, backend, node);
  const blocks = podRangesOf(node);
  const pool = lab.network.podCIDR;
  const kernelPool =
    backend.encapsulation.kind === 'vxlan'
      ? [`  if (net ~ ${pool}) then {`, "    # Don't program VXLAN routes into the kernel - these are handled by Felix.", '    reject;', '  }']
      : backend.encapsulation.kind === 'ipip'
        ? [
            `  if (net ~ ${pool}) then {`,
            '    # krt_tunnel = "tunl0" in Calico\'s BIRD; bird2 names the device and the onlink next hop.',
            '    if (source = RTS_BGP) then { onlink = true; ifname = "tunl0"; gw = bgp_next_hop; }',
            '    accept;',
            '  }',
          ]
        : [`  if (net ~ ${pool}) then { accept; } # krt_tunnel="" in Calico's BIRD: no tunnel.`];
  const lines = [
    `# BIRD for node ${node.name} of lab ${lab.name}: calico/node's confd output in bird2 syntax (docs/calico.md).`,
    `log "${log}" { info, remote, warning, error, auth, fatal, bug };`,
    'timeformat protocol "%T";',
    '',
    'function apply_communities ()',
    '{',
    '}',
    '',
    '# ------------- bird_aggr.cfg -------------',
    ...(blocks.length > 0
      ? ['protocol static {', '  ipv4;', '   # IP blocks for this host.', ...blocks.map((b) => `   route ${b} blackhole;`), '}']
      : ['# No IP blocks or static routes for this host.']),
    '',
    '# Aggregation of routes on this host; export the block, nothing beneath it.',
    'function calico_aggr ()',
    '{',
    ...blocks.flatMap((b) => [
      `      # Block ${b} is implicitly confirmed.`,
      `      if ( net = ${b} ) then { accept; }`,
      `      if ( net ~ ${b} ) then { reject; }`,
    ]),
    '}',
    '',
    '# ------------- bird_ipam.cfg -------------',
    'function reject_disabled_pools ()',
    '{',
    '}',
    '',
    'function reject_tunnel_routes () {',
    "  # Don't export tunnel routes to other nodes, Felix programs them.",
    '  # IPIP routes are handled by Bird, and it does not re-advertise them.',
    '  if (defined(ifname)) then {',
    '     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {',
    '        reject;',
    '     }',
    '  }',
    '}',
    '',
    'function calico_export_to_bgp_peers(bool internal_peer) {',
    '  # filter code terminates when it calls `accept;` or `reject;`,',
    '  # call reject_disabled_pools() first, then reject_tunnel_routes(),',
    '  # then apply_communities() and then calico_aggr()',
    '  reject_disabled_pools();',
    '  if (internal_peer) then {',
    '    reject_tunnel_routes();',
    '  }',
    '  apply_communities();',
    '  calico_aggr();',
    `  if (net ~ ${pool}) then { accept; }`,
    '}',
    '',
    'filter calico_kernel_programming {',
    ...kernelPool,
    '  accept;',
    '}',
    '',
    '# ------------- bird.cfg -------------',
    `router id ${node.address};`,
    '',
    '# Configure synchronization between routing tables and kernel.',
    'protocol kernel {',
    '  learn;             # Learn all alien routes from the kernel',
    "  persist;           # Don't remove routes on bird shutdown",
    '  scan time 2;       # Scan kernel routing table every 2 seconds',
    '  ipv4 {',
    '    import all;',
    '    export filter calico_kernel_programming; # Default is export none',
    '  };',
    '  graceful restart;  # Turn on graceful restart to reduce potential flaps in',
    '                     # routes when reloading BIRD configuration.',
    '  merge paths on;    # Allow export multipath routes (ECMP)',
    "  metric 0;          # netlab: BIRD 1 sets no metric; bird2's default is 32.",
    '}',
    '',
    '# Watch interface up/down events.',
    'protocol device {',
    '  scan time 2;    # Scan interfaces every 2 seconds',
    '}',
    '',
    'protocol direct {',
    '  debug { states };',
    '  ipv4;',
    '  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but',
    '                                          # include everything else.',
    '}',
    '',
    '# Template for all BGP clients',
    'template bgp bgp_template {',
    '  debug { states };',
    '  description "Connection to BGP peer";',
    `  local as ${backend.asNumber};`,
    '  multihop;',
    '  ipv4 {',
    '    gateway recursive; # This should be the default, but just in case.',
    '    add paths on;',
    '  };',
    '  graceful restart;  # See comment in kernel section about graceful restart.',
    '  connect delay time 1;',
    '  connect retry time 3;',
    '  error wait time 5,60;',
    '}',
    '',
    backend.routeReflector === undefined
      ? '# ------------- Node-to-node mesh -------------'
      : node.name === backend.routeReflector
        ? `# This node (${node.name}) is configured as a route reflector with cluster ID ${node.address};\n# ignore node-to-node mesh setting.\n\n# ------------- Node-specific peers -------------`
        : '# Node-to-node mesh disabled\n\n# ------------- Node-specific peers -------------',
    ...sessions.flatMap((s) => [
      `# For peer ${s.peerNode}`,
      `protocol bgp ${s.name} from bgp_template {`,
      `  neighbor ${s.peer} as ${backend.asNumber};`,
      `  source address ${node.address};  # The local address we use for the TCP connection`,
      ...(s.rrClient ? ['  rr client;', `  rr cluster id ${node.address};`] : []),
      '  ipv4 {',
      "    import all;        # Import all routes, since we don't know what the upstream",
      '                       # topology is and therefore have to trust the ToR/RR.',
      '    export filter {',
      '      calico_export_to_bgp_peers(true);',
      '      reject;',
      '    };  # Only want to export routes for workloads.',
      '  };',
      // Calico's comments, word for word (bgp_processor.go PassiveComment).
      ...(s.passive ? [`  passive on; # ${s.name.startsWith('Node_') ? 'Peering' : 'Mesh'} is unidirectional, peer will connect to us.`] : []),
      '  graceful restart time 120;',
      '}',
      '',
    ]),
  ];
  return lines.join('\n');
}

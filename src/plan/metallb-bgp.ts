import { bgpAnnouncements, routerRoutes, type BgpSpeech } from '../lab/bgp-announcements.js';
import type { External, Lab, Node } from '../lab/types.js';
import { BGP_ESTABLISH_TIMEOUT_MS, birdFiles, startBird } from './bird.js';
import type { Contribution } from './contribution.js';
import type { PlanContext } from './ops.js';

/** BIRD's protocol name for a node's session to a BGPPeer (names are DNS labels; BIRD symbols take no '-'). */
export function peerProtocol(peer: string): string {
  return `peer_${peer.replace(/-/g, '_')}`;
}

/** BIRD's protocol name for the router's session to a node. */
export function nodeProtocol(node: string): string {
  return `node_${node.replace(/-/g, '_')}`;
}

/**
 * MetalLB in BGP mode. Each node with a BGPPeer runs a speaker that speaks
 * BGP (bird2 in the node's namespace, as MetalLB's FRR mode runs FRR beside
 * the speaker) and announces what bgpAnnouncements decides; the outside
 * client becomes the router every BGPPeer names: a bird2 that takes every
 * node's path and installs equal ones as one ECMP route, hashing flows on
 * their five-tuple as a data-centre router does.
 */
export function planMetalLBBgp(lab: Lab, context: PlanContext): Contribution[] {
  const speeches = bgpAnnouncements(lab);
  const external = lab.external;
  if (speeches.size === 0 || !external) return [];
  const nodes = lab.nodes.filter((n) => speeches.has(n.name));
  const perNode = nodes.map((node): Contribution => {
    const files = birdFiles(context.stateDir, node.name);
    const said = speeches.get(node.name)!;
    return {
      routing: startBird(node.netns, files, speakerConf(lab, node, external, said, files.log)),
      converge: [
        {
          kind: 'bgp.establish',
          netns: node.netns,
          node: node.name,
          socket: files.socket,
          log: files.log,
          sessions: said.map((s) => ({ name: peerProtocol(s.peer.name), peer: external.address, peerNode: 'external' })),
          // The speaker installs nothing: kube-proxy, not a route, serves the address on the node.
          routes: [],
          timeoutMs: BGP_ESTABLISH_TIMEOUT_MS,
        },
      ],
    };
  });
  const files = birdFiles(context.stateDir, 'external');
  const routes = routerRoutes(lab);
  const address = (name: string) => lab.nodes.find((n) => n.name === name)!.address;
  const router: Contribution = {
    // Linux hashes ECMP on addresses alone by default (policy 0): one client would always reach one node.
    sysctls: [{ kind: 'sysctl.set', netns: external.netns, key: 'net.ipv4.fib_multipath_hash_policy', value: '1' }],
    routing: startBird(external.netns, files, routerConf(lab, external, nodes, speeches, files.log)),
    converge: [
      {
        kind: 'bgp.establish',
        netns: external.netns,
        node: 'external',
        socket: files.socket,
        log: files.log,
        sessions: nodes.map((n) => ({ name: nodeProtocol(n.name), peer: n.address, peerNode: n.name })),
        routes: [...routes.keys()],
        nexthops: Object.fromEntries([...routes].map(([prefix, via]) => [prefix, via.map(address).sort()])),
        timeoutMs: BGP_ESTABLISH_TIMEOUT_MS,
      },
    ],
  };
  return [...perNode, router];
}

/**
 * How soon a session is tried again. BIRD waits 60 to 300 s after an error
 * (a hold timer that expired) and 5 s before its first try; a speaker retries
 * within seconds, so a node plugged back is announcing again as quickly.
 */
const RETRY = ['  connect delay time 1;', '  connect retry time 1;', '  error wait time 1, 5;'];

/** Timers as a BGPPeer sets them; a hold time of 0 turns both off (BIRD then takes no keepalive time). */
function timers(holdTime: number, keepaliveTime: number): string[] {
  return holdTime === 0 ? ['  hold time 0;'] : [`  hold time ${holdTime};`, `  keepalive time ${Math.max(1, keepaliveTime)};`];
}

/**
 * A node's speaker: a session per BGPPeer that selects the node, and per
 * session the prefixes the node announces there, with the advertisement's
 * communities and (on iBGP only, as MetalLB sends it) LOCAL_PREF. The
 * prefixes are blackholes in BIRD's own table: there is no kernel protocol,
 * so nothing reaches the node's routes.
 */
export function speakerConf(lab: Lab, node: Node, router: External, said: BgpSpeech[], log: string): string {
  const prefixes = [...new Set(said.flatMap((s) => s.routes.map((r) => r.prefix)))].sort();
  return [
    `# MetalLB's speaker in BGP mode, node ${node.name} of lab ${lab.name}: what speaker/bgp_controller.go announces, spoken by bird2.`,
    `log "${log}" { info, remote, warning, error, auth, fatal, bug };`,
    'timeformat protocol "%T";',
    `router id ${node.address};`,
    '',
    'protocol device {',
    '  scan time 2;',
    '}',
    '',
    "# The Services' addresses this node announces (ShouldAnnounce). BIRD's table only: no kernel protocol.",
    'protocol static metallb {',
    '  ipv4;',
    ...prefixes.map((p) => `  route ${p} blackhole;`),
    '}',
    '',
    ...said.flatMap((s) => {
      const ibgp = s.peer.myASN === s.peer.peerASN;
      return [
        `# BGPPeer ${s.peer.name}: ${ibgp ? 'iBGP' : 'eBGP'}, AS ${s.peer.myASN} to AS ${s.peer.peerASN}.`,
        `protocol bgp ${peerProtocol(s.peer.name)} {`,
        `  description "BGPPeer ${s.peer.name}";`,
        `  local ${node.address} as ${s.peer.myASN};`,
        `  neighbor ${router.address} as ${s.peer.peerASN};`,
        '  direct;',
        ...timers(s.peer.holdTime, s.peer.keepaliveTime),
        ...RETRY,
        '  ipv4 {',
        '    import none;',
        "    # NEXT_HOP is the session's local address (internal/bgp/native: conn.LocalAddr()).",
        '    next hop self;',
        '    export filter {',
        ...s.routes.map((r) => {
          const attrs = [
            ...r.communities.map((c) => `bgp_community.add((${c.replace(':', ',')}));`),
            ...(ibgp && r.localPref > 0 ? [`bgp_local_pref = ${r.localPref};`] : []),
          ];
          return `      if net = ${r.prefix} then { ${[...attrs, 'accept;'].join(' ')} } # ${r.services.join(', ')}`;
        }),
        '      reject;',
        '    };',
        '  };',
        '}',
        '',
      ];
    }),
  ].join('\n');
}

/**
 * The router outside the cluster: a session to each node's speaker, every
 * path imported, and equal paths merged into one multipath route in the
 * kernel (ECMP), which is what lets every announcing node take a share.
 */
export function routerConf(lab: Lab, router: External, nodes: Node[], speeches: Map<string, BgpSpeech[]>, log: string): string {
  return [
    `# The router outside lab ${lab.name}, which its BGPPeers name: one session per node's speaker, ECMP to the kernel.`,
    `log "${log}" { info, remote, warning, error, auth, fatal, bug };`,
    'timeformat protocol "%T";',
    `router id ${router.address};`,
    '',
    'protocol device {',
    '  scan time 2;',
    '}',
    '',
    'protocol kernel {',
    '  ipv4 {',
    '    import none;',
    '    export all;',
    '  };',
    '  merge paths on; # one route, a next hop per node that announces it',
    '}',
    '',
    ...nodes.flatMap((node) => {
      const peer = speeches.get(node.name)![0]!.peer;
      return [
        `protocol bgp ${nodeProtocol(node.name)} {`,
        `  description "node ${node.name} (MetalLB speaker, BGPPeer ${peer.name})";`,
        `  local ${router.address} as ${peer.peerASN};`,
        `  neighbor ${node.address} as ${peer.myASN};`,
        '  direct;',
        ...timers(peer.holdTime, peer.keepaliveTime),
        ...RETRY,
        '  ipv4 {',
        '    import all;',
        '    export none;',
        '  };',
        '}',
        '',
      ];
    }),
  ].join('\n');
}

import type { Op } from './ops.js';

/** An operation as one iproute2 command: `ip|bridge [-n NETNS] ARGS…`. */
export interface ToolCommand {
  tool: 'ip' | 'bridge';
  /** Undefined for `ip netns add`, which names namespaces rather than acting in one. */
  netns: string | undefined;
  args: string[];
}

type ToolOp = Exclude<
  Op,
  {
    kind:
      | 'sysctl.set'
      | 'file.write'
      | 'process.start'
      | 'nft.load'
      | 'iptables.restore'
      | 'daemon.start'
      | 'bgp.establish'
      | 'cni.add'
      | 'qdisc.delete'
      | 'speaker.start'
      | 'tls.issue';
  }
>;

export function isToolOp(op: Op): op is ToolOp {
  return ![
    'sysctl.set',
    'file.write',
    'process.start',
    'nft.load',
    'iptables.restore',
    'daemon.start',
    'bgp.establish',
    'cni.add',
    'qdisc.delete',
    'speaker.start',
    'tls.issue',
  ].includes(op.kind);
}

/** The iproute2 words for an operation: one source for the shell script and the batches. */
export function toolCommand(op: ToolOp): ToolCommand {
  switch (op.kind) {
    case 'netns.add':
      return { tool: 'ip', netns: undefined, args: ['netns', 'add', op.netns] };
    case 'link.add.bridge':
      return ip(op.netns, ['link', 'add', op.name, ...mtu(op.mtu), 'address', op.mac, 'type', 'bridge']);
    case 'link.add.veth':
      // prettier-ignore
      return ip(op.netns, [
        'link', 'add', op.name, 'mtu', String(op.mtu), 'address', op.mac, ...qlen(op.txqueuelen),
        'type', 'veth', 'peer', 'name', op.peer.name, 'mtu', String(op.mtu), 'address', op.peer.mac, ...qlen(op.txqueuelen), 'netns', op.peer.netns,
      ]);
    case 'link.add.vxlan':
      // prettier-ignore
      return ip(op.netns, [
        'link', 'add', op.name, 'mtu', String(op.mtu), 'address', op.mac, ...qlen(op.txqueuelen),
        'type', 'vxlan', 'id', String(op.vni), 'local', op.local, 'dev', op.dev, 'nolearning', 'dstport', String(op.port),
      ]);
    case 'link.up':
      return ip(op.netns, ['link', 'set', 'dev', op.name, 'up']);
    case 'link.delete':
      return ip(op.netns, ['link', 'delete', 'dev', op.name]);
    case 'link.arp.on':
      return ip(op.netns, ['link', 'set', 'dev', op.name, 'arp', 'on']);
    case 'link.master':
      return ip(op.netns, ['link', 'set', 'dev', op.name, 'master', op.master]);
    case 'link.hairpin':
      return ip(op.netns, ['link', 'set', 'dev', op.name, 'type', 'bridge_slave', 'hairpin', 'on']);
    case 'link.addrgenmode':
      return ip(op.netns, ['link', 'set', 'dev', op.name, 'addrgenmode', op.mode]);
    case 'addr.add':
      return ip(op.netns, ['addr', 'add', op.address, ...(op.broadcast ? ['broadcast', op.broadcast] : []), 'dev', op.dev]);
    case 'route.add':
      return ip(op.netns, ['route', op.verb, op.dst, ...(op.via ? ['via', op.via] : []), 'dev', op.dev, ...(op.onlink ? ['onlink'] : [])]);
    case 'route.blackhole':
      return ip(op.netns, ['route', 'replace', 'blackhole', op.dst, 'proto', String(op.protocol)]);
    case 'route.delete':
      // prettier-ignore
      return ip(op.netns, [
        'route', 'delete', ...(op.type ? [op.type] : []), op.dst, ...(op.via ? ['via', op.via] : []), ...(op.dev ? ['dev', op.dev] : []),
        ...(op.table !== undefined ? ['table', String(op.table)] : []),
      ]);
    case 'neigh.replace':
      return ip(op.netns, ['neigh', 'replace', op.address, 'lladdr', op.lladdr, 'dev', op.dev, 'nud', 'permanent']);
    case 'fdb.replace':
      return { tool: 'bridge', netns: op.netns, args: ['fdb', 'replace', op.mac, 'dev', op.dev, 'dst', op.dst, 'self', 'permanent'] };
  }
}

function ip(netns: string, args: string[]): ToolCommand {
  return { tool: 'ip', netns, args };
}

function mtu(value: number | undefined): string[] {
  return value === undefined ? [] : ['mtu', String(value)];
}

function qlen(value: number | undefined): string[] {
  return value === undefined ? [] : ['txqueuelen', String(value)];
}

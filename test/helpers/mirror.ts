import type { LiveLab, LiveLink, LiveNetns } from '../../src/plan/live.js';
import type { Plan } from '../../src/plan/ops.js';
import type { TableImage } from '../../src/plan/table-image.js';

/**
 * The kernel exactly as the plan makes it, as the observer would report it:
 * what drift must find nothing wrong with, and what a test damages one
 * object of at a time.
 */
export function mirror(plan: Plan): LiveLab {
  const namespaces: Record<string, LiveNetns> = {};
  const ns = (name: string) => (namespaces[name] ??= { links: [], addresses: [], routes: [], neighbours: [], fdb: [], qdiscs: [], sysctls: {} });
  let index = 1;
  const link = (netns: string, l: Omit<LiveLink, 'index' | 'up' | 'arp'>) => ns(netns).links.push({ index: index++, up: false, arp: true, ...l });
  const find = (netns: string, name: string) => ns(netns).links.find((l) => l.name === name)!;
  const files: Record<string, string> = {};
  const image: TableImage = { chains: { c: { spec: '', rules: ['{"comment":null,"expr":[{"accept":null}]}'] } }, sets: {} };
  for (const op of plan.stages.flatMap((s) => s.ops)) {
    switch (op.kind) {
      case 'netns.add':
        ns(op.netns).links.push({ name: 'lo', index: index++, kind: 'other', mac: '00:00:00:00:00:00', mtu: 65536, up: true, arp: true });
        break;
      case 'link.add.bridge':
        link(op.netns, { name: op.name, kind: 'bridge', mac: op.mac, mtu: op.mtu ?? 1500 });
        break;
      case 'link.add.vxlan':
        link(op.netns, { name: op.name, kind: 'vxlan', mac: op.mac, mtu: op.mtu, vxlan: { id: op.vni, local: op.local, port: op.port } });
        break;
      case 'link.add.veth':
        link(op.netns, { name: op.name, kind: 'veth', mac: op.mac, mtu: op.mtu });
        link(op.peer.netns, { name: op.peer.name, kind: 'veth', mac: op.peer.mac, mtu: op.mtu });
        break;
      case 'link.up':
        find(op.netns, op.name).up = true;
        break;
      case 'link.master':
        find(op.netns, op.name).master = op.master;
        break;
      case 'link.hairpin':
        find(op.netns, op.name).hairpin = true;
        break;
      case 'link.addrgenmode':
        find(op.netns, op.name).addrGenMode = op.mode;
        break;
      case 'addr.add':
        ns(op.netns).addresses.push({ dev: op.dev, address: op.address });
        break;
      case 'route.add':
        ns(op.netns).routes.push({ dst: op.dst, dev: op.dev, onlink: op.onlink ?? false, ...(op.via ? { via: op.via } : {}) });
        break;
      case 'neigh.replace':
        ns(op.netns).neighbours.push({ dev: op.dev, address: op.address, lladdr: op.lladdr, permanent: true });
        break;
      case 'fdb.replace':
        ns(op.netns).fdb.push({ dev: op.dev, mac: op.mac, dst: op.dst });
        break;
      case 'sysctl.set':
        ns(op.netns).sysctls[op.key] = op.value;
        break;
      case 'nft.load':
        ns(op.netns).tables = { ...ns(op.netns).tables, [op.table]: { image, planned: image } };
        ns(op.netns).nftables = [...(ns(op.netns).nftables ?? []), op.table];
        break;
      case 'file.write':
        files[op.path] = op.content;
        break;
      default:
        break;
    }
  }
  return { namespaces, agentRunning: true, daemons: {}, bgp: {}, files };
}

import type { LiveLab } from './live.js';
import { linkNamed, place } from './live-names.js';
import type { Op } from './ops.js';

/** Tables iptables-nft makes for iptables-restore, and the CNI plugins (portmap, bridge's ipMasq) through it. */
const IPTABLES_TABLES = ['ip filter', 'ip nat', 'ip mangle', 'ip raw', 'ip6 filter', 'ip6 nat', 'ip6 mangle', 'ip6 raw'];

/** The root qdiscs the kernel gives links itself: netlab plans none, so any other (netem loss 100%, tbf) is damage. */
const DEFAULT_QDISCS = new Set(['noqueue', 'pfifo_fast', 'fq_codel', 'mq', 'noop']);

/** What the plan says of one namespace that was read, for finding what nobody planned in it. */
interface Planned {
  tables: Set<string>;
  routes: Set<string>;
  /** CNI plugins or a BGP daemon add routes of their own here: its routes are not all netlab's. */
  foreignRoutesAllowed: boolean;
  linksUp: string[];
}

/**
 * What is in a lab namespace that netlab did not plan, each with the op
 * that removes it (the repair runs those first): a table (a nat table at
 * priority -150 that DNATs a ClusterIP elsewhere works beside kube-proxy's,
 * a drop-all table cuts a pod off), a route of any table that is neither
 * planned nor the kernel's own (a blackhole to another node's pods), a root
 * qdisc but the kernel's defaults, ARP turned off on a link netlab brings
 * up. One pass over the plan, for the namespaces that were read only.
 */
export function unplanned(ops: readonly Op[], live: LiveLab): Array<{ op: Op; what: string }> {
  const read = new Map<string, Planned>();
  const of = (netns: string): Planned | undefined => {
    if (!live.namespaces[netns]) return undefined;
    let p = read.get(netns);
    if (!p) read.set(netns, (p = { tables: new Set(), routes: new Set(), foreignRoutesAllowed: false, linksUp: [] }));
    return p;
  };
  for (const op of ops) {
    if (op.kind === 'netns.add') of(op.netns);
    else if (op.kind === 'nft.load') of(op.netns)?.tables.add(op.table);
    else if (op.kind === 'iptables.restore') for (const t of IPTABLES_TABLES) of(op.netns)?.tables.add(t);
    else if (op.kind === 'route.add') of(op.netns)?.routes.add(routeKey(op.dst, op.via, op.dev));
    else if (op.kind === 'link.up') of(op.netns)?.linksUp.push(op.name);
    else if (op.kind === 'bgp.establish') {
      const p = of(op.netns);
      if (p) p.foreignRoutesAllowed = true;
    } else if (op.kind === 'cni.add') {
      for (const netns of [op.netns, op.podNetns]) {
        const p = of(netns);
        if (!p) continue;
        p.foreignRoutesAllowed = true;
        for (const t of IPTABLES_TABLES) p.tables.add(t);
      }
    }
  }
  const out: Array<{ op: Op; what: string }> = [];
  const removal = (op: Op, netns: string, what: string) => out.push({ op, what: `${place(netns)}: ${what}` });
  for (const [netns, planned] of read) {
    const ns = live.namespaces[netns]!;
    for (const table of ns.nftables ?? []) {
      if (!planned.tables.has(table))
        removal(
          { kind: 'nft.load', netns, table, ruleset: { table, commands: [{ kind: 'delete-table' }] } },
          netns,
          `nftables table ${table} is not planned (netlab did not make it; \`netlab up\` deletes it)`,
        );
    }
    if (!planned.foreignRoutesAllowed) {
      for (const r of ns.routes) {
        if (r.kernel || (r.table === undefined && r.type === undefined && planned.routes.has(routeKey(r.dst, r.via, r.dev)))) continue;
        const op: Op = {
          kind: 'route.delete',
          netns,
          dst: r.dst,
          ...(r.type ? { type: r.type } : {}),
          ...(r.via ? { via: r.via } : {}),
          ...(r.dev ? { dev: r.dev } : {}),
          ...(r.table !== undefined ? { table: r.table } : {}),
        };
        const words = [r.type, r.dst, r.via && `via ${r.via}`, r.dev && `dev ${r.dev}`, r.table !== undefined && `table ${r.table}`].filter(Boolean).join(' ');
        removal(op, netns, `route ${words} is not planned`);
      }
    }
    for (const q of ns.qdiscs ?? [])
      if (!DEFAULT_QDISCS.has(q.kind)) removal({ kind: 'qdisc.delete', netns, dev: q.dev }, netns, `qdisc ${q.kind} on ${q.dev} is not planned`);
    // No link netlab brings up has ARP off: with it off, the link neither asks nor answers for its addresses.
    for (const name of planned.linksUp)
      if (linkNamed(ns, name)?.arp === false) removal({ kind: 'link.arp.on', netns, name }, netns, `link ${name} has ARP off`);
  }
  return out;
}

function routeKey(dst: string, via: string | undefined, dev: string | undefined): string {
  return `${dst} ${via ?? ''} ${dev ?? ''}`;
}

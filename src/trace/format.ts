import type { Hop, Packet, Trace } from './types.js';

const KIND: Record<Hop['kind'], string> = {
  dns: 'DNS',
  route: 'route',
  dnat: 'DNAT',
  veth: 'veth',
  bridge: 'bridge',
  encap: 'encap',
  decap: 'decap',
  deliver: 'arrive',
  drop: 'DROP',
  proxy: 'nginx',
};

export function describePacket(p: Packet): string {
  return `${p.src} → ${p.dst}${p.port !== undefined ? `:${p.port}` : ''} ${p.proto}`;
}

/** Numbered hops in the order the packet meets them, each with the entry that decided it. */
export function formatTrace(t: Trace, seen?: Map<number, boolean>): string {
  const lines = [`trace ${t.lab}: ${t.from} → ${t.to} (${describePacket(t.packet)}), from the live kernel`, ''];
  const width = String(t.hops.length).length;
  for (const h of t.hops) {
    const mark = seen ? (h.tap ? (seen.get(h.n) ? ' ✔ seen' : ' ✘ not seen') : '') : '';
    lines.push(`${String(h.n).padStart(width)}. ${h.where.padEnd(8)} ${KIND[h.kind].padEnd(6)} ${h.summary}${mark}`);
    if (h.entry) lines.push(`${' '.repeat(width + 2)}${' '.repeat(16)}${h.kind === 'drop' ? 'look at: ' : 'entry:   '}${h.entry}`);
  }
  lines.push('', t.arrived ? `arrived in ${t.hops.length} hops` : `the packet does not arrive: it stops at hop ${t.hops.length}`);
  return `${lines.join('\n')}\n`;
}

import { startCapture, type RunningCapture } from '../kernel/capture.js';
import { ping } from '../kernel/ping.js';
import { runProbes } from '../kernel/probe.js';
import type { Hop, Packet, Trace } from './types.js';

export interface Verification {
  /** Hop number → whether its capture saw the packet (hops without a capture point are absent). */
  seen: Map<number, boolean>;
  arrived: boolean;
  /** What the traffic itself reported. */
  traffic: string;
  /** Where it stopped and what should have carried it on; undefined when it arrived. */
  verdict?: string;
}

/** A tcpdump filter for exactly this packet (the outer one inside a tunnel). */
export function filterFor(p: Packet): string {
  const hosts = `src host ${p.src} and dst host ${p.dst}`;
  return p.proto === 'icmp' ? `icmp and ${hosts}` : `${p.proto} and ${hosts} and dst port ${p.port}`;
}

/**
 * Captures on every hop at once, sends one packet (ping, or a tcp/udp
 * probe), and marks each hop seen or not. Where the packet stops, names the
 * last hop that saw it and the entry that should have carried it further.
 */
export async function verifyTrace(trace: Trace, fromNetns: string, homeNetns: string): Promise<Verification> {
  const { verification } = await verifyAmong([trace], fromNetns, homeNetns, () => 0);
  return verification;
}

/**
 * The same for a packet whose path depends on a choice the kernel makes
 * (a Service's endpoint): every candidate path is captured at once, one
 * packet is sent, and the path of the endpoint that answered is the one
 * verified. `choose` maps the answer (the pod's name) to a candidate.
 */
export async function verifyAmong(
  candidates: Trace[],
  fromNetns: string,
  homeNetns: string,
  choose: (answeredBy: string | undefined) => number,
): Promise<{ trace: Trace; verification: Verification }> {
  type Tapped = Hop & { tap: NonNullable<Hop['tap']> };
  const key = (h: Tapped) => `${h.tap.netns}|${h.tap.iface}|${filterFor(h.packet)}`;
  const captures = new Map<string, RunningCapture>();
  try {
    const all = candidates.flatMap((t) => t.hops.filter((h): h is Tapped => h.tap !== undefined));
    await Promise.all(
      [...new Map(all.map((h) => [key(h), h])).values()].map(async (h) =>
        captures.set(key(h), await startCapture(h.tap.netns, h.tap.iface, filterFor(h.packet))),
      ),
    );
    const traffic = await send(candidates[0]!.packet, fromNetns, homeNetns);
    const seenBy = new Map<string, boolean>();
    for (const [k, c] of captures) seenBy.set(k, (await c.stop()).packets.length > 0);
    captures.clear();
    const trace = candidates[Math.max(0, choose(traffic.answeredBy))] ?? candidates[0]!;
    const seen = new Map<number, boolean>();
    for (const h of trace.hops) if (h.tap) seen.set(h.n, seenBy.get(key(h as Tapped)) ?? false);
    return { trace, verification: { seen, arrived: traffic.ok, traffic: traffic.text, ...(traffic.ok ? {} : { verdict: verdictOf(trace, seen) }) } };
  } finally {
    await Promise.all([...captures.values()].map((c) => c.stop()));
  }
}

async function send(p: Packet, netns: string, homeNetns: string): Promise<{ ok: boolean; text: string; answeredBy?: string }> {
  if (p.proto === 'icmp') {
    const o = await ping(netns, p.dst, { count: 1, deadline: 3 });
    return { ok: o.received > 0, text: `${o.command}: ${o.received}/${o.transmitted} replies` };
  }
  const results = await runProbes(homeNetns, [{ id: 0, kind: p.proto, netns, dst: p.dst, port: p.port ?? 0, timeout: 3 }]);
  const r = results.get(0);
  return {
    ok: Boolean(r?.ok),
    ...(r?.answer?.hostname ? { answeredBy: r.answer.hostname } : {}),
    text: r?.ok ? `${p.proto} ${p.dst}:${p.port} answered: ${r.answer?.hostname}` : `${p.proto} ${p.dst}:${p.port}: ${r?.error ?? 'no result'}`,
  };
}

function verdictOf(trace: Trace, seen: Map<number, boolean>): string {
  const tapped = trace.hops.filter((h) => seen.has(h.n));
  const lastSeen = [...tapped].reverse().find((h) => seen.get(h.n));
  const drop = trace.hops.find((h) => h.kind === 'drop');
  const cause = drop ? `${drop.summary}${drop.entry ? ` (look at: ${drop.entry})` : ''}` : undefined;
  if (!lastSeen) return `no hop saw the packet: it did not leave ${trace.hops[0]?.where ?? trace.from}${cause ? `; ${cause}` : ''}`;
  const at = `hop ${lastSeen.n}, ${lastSeen.where} ${lastSeen.tap!.iface}`;
  // The walk of the kernel's tables names a missing entry; the captures say how far the packet got.
  if (cause) return `the packet was last seen at ${at}; ${cause}`;
  const next = trace.hops.find((h) => h.n > lastSeen.n && seen.has(h.n) && !seen.get(h.n));
  if (!next) return `last seen at ${at}; it did not come back`;
  return `the packet was last seen at ${at}; hop ${next.n} (${next.where}: ${next.summary}) did not see it${next.entry ? `; the entry that should carry it: ${next.entry}` : ''}`;
}

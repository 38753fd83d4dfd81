import { traceRunningLab } from '../../lifecycle/trace-lab.js';
import { formatTrace } from '../../trace/format.js';
import type { Verification } from '../../trace/verify.js';

export interface TraceInvocation {
  lab: string;
  from: string;
  to: string;
  proto: 'icmp' | 'tcp' | 'udp';
  port: number | undefined;
  json: boolean;
  verify: boolean;
  http?: { host?: string; path: string; headers?: Record<string, string> };
}

/** `netlab trace LAB FROM TO`: the path from live kernel state; exit 1 when the packet does not arrive. */
export async function trace(inv: TraceInvocation): Promise<number> {
  const { trace: t, verification: v, arrived } = await traceRunningLab(inv);
  if (inv.json) {
    const hops = t.hops.map((h) => (v && v.seen.has(h.n) ? { ...h, seen: v.seen.get(h.n) } : h));
    process.stdout.write(`${JSON.stringify({ ...t, hops, arrived, ...(v ? { traffic: v.traffic, verdict: v.verdict ?? null } : {}) }, null, 2)}\n`);
  } else {
    process.stdout.write(formatTrace(t, v?.seen));
    if (v) process.stdout.write(`\nverified: ${v.traffic}\n${v.verdict ? `✘ ${v.verdict}\n` : verifiedLine(v)}`);
  }
  return arrived ? 0 : 1;
}

/** Arrived: every hop saw it, or the ones that did not are named (the trace's model of them is off, not the network). */
function verifiedLine(v: Verification): string {
  const unseen = [...v.seen].filter(([, seen]) => !seen).map(([n]) => n);
  return unseen.length === 0
    ? '✔ every hop saw the packet\n'
    : `✔ it arrived, but hop${unseen.length > 1 ? 's' : ''} ${unseen.join(', ')} did not see it as traced\n`;
}

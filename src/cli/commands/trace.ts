import { labDir } from '../../state/paths.js';
import { kernelObserver } from '../../kernel/observer.js';
import { LAB_TOOLS, PING, TCPDUMP, preflight } from '../../kernel/preflight.js';
import { formatTrace } from '../../trace/format.js';
import { serviceCandidates, traceEndpoints, traceLab } from '../../trace/index.js';
import { verifyAmong, verifyTrace, type Verification } from '../../trace/verify.js';
import { checkedLabName, runningLab } from '../target.js';

export interface TraceInvocation {
  lab: string;
  from: string;
  to: string;
  proto: 'icmp' | 'tcp' | 'udp';
  port: number | undefined;
  json: boolean;
  verify: boolean;
}

/** `netlab trace LAB FROM TO`: the path from live kernel state; exit 1 when the packet does not arrive. */
export async function trace(inv: TraceInvocation): Promise<number> {
  checkedLabName(inv.lab);
  await preflight(inv.verify ? [...LAB_TOOLS, TCPDUMP, PING] : LAB_TOOLS);
  const lab = await runningLab(inv.lab);
  const request = { from: inv.from, to: inv.to, proto: inv.proto, ...(inv.port !== undefined ? { port: inv.port } : {}) };
  const observer = kernelObserver({ stateDir: labDir(lab.name) });
  const candidates = serviceCandidates(lab, request);
  let t = await traceLab(lab, request, observer);
  let v: Verification | undefined;
  if (inv.verify && candidates.length > 1) {
    // The kernel picks the endpoint: capture every candidate path, send once, keep the path of the pod that answered.
    const traces = await Promise.all(candidates.map((c) => traceLab(lab, request, observer, c.ip)));
    ({ trace: t, verification: v } = await verifyAmong(traces, traceEndpoints(lab, request).netns, lab.fabric.netns, (pod) =>
      candidates.findIndex((c) => c.pod === pod),
    ));
  } else if (inv.verify) {
    v = await verifyTrace(t, traceEndpoints(lab, request).netns, lab.fabric.netns);
  }
  const arrived = v ? v.arrived : t.arrived;
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

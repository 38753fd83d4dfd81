import { kernelObserver } from '../kernel/observer.js';
import { LAB_TOOLS, PING, TCPDUMP, preflight } from '../kernel/preflight.js';
import { labDir } from '../state/paths.js';
import { serviceCandidates, traceEndpoints, traceLab } from '../trace/index.js';
import type { Trace } from '../trace/types.js';
import { verifyAmong, verifyTrace, type Verification } from '../trace/verify.js';
import { checkedLabName, runningLab } from './target.js';

export interface TraceRequest {
  lab: string;
  from: string;
  to: string;
  proto: 'icmp' | 'tcp' | 'udp';
  port: number | undefined;
  verify: boolean;
  http?: { host?: string; path: string; headers?: Record<string, string> };
}

/**
 * A packet walked through a running lab's live kernel; with `verify`, also
 * sent and captured on every hop. When a Service's kernel picks the endpoint,
 * every candidate path is captured and the one of the pod that answered kept.
 */
export async function traceRunningLab(r: TraceRequest): Promise<{ trace: Trace; verification: Verification | undefined; arrived: boolean }> {
  checkedLabName(r.lab);
  await preflight(r.verify ? [...LAB_TOOLS, TCPDUMP, PING] : LAB_TOOLS);
  const lab = await runningLab(r.lab);
  const request = { from: r.from, to: r.to, proto: r.proto, ...(r.port !== undefined ? { port: r.port } : {}), ...(r.http ? { http: r.http } : {}) };
  const observer = kernelObserver({ stateDir: labDir(lab.name) });
  const candidates = serviceCandidates(lab, request);
  let trace = await traceLab(lab, request, observer);
  let verification: Verification | undefined;
  if (r.verify && candidates.length > 1) {
    const traces = await Promise.all(candidates.map((c) => traceLab(lab, request, observer, c.ip)));
    ({ trace, verification } = await verifyAmong(traces, traceEndpoints(lab, request).netns, lab.fabric.netns, (pod) =>
      candidates.findIndex((c) => c.pod === pod),
    ));
  } else if (r.verify) {
    verification = await verifyTrace(trace, traceEndpoints(lab, request).netns, lab.fabric.netns);
  }
  return { trace, verification, arrived: verification ? verification.arrived : trace.arrived };
}

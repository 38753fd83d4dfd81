import { UsageError } from '../errors.js';
import { answeringPods, serviceNamed, source, target } from '../lab/endpoints.js';
import { findByRef } from '../lab/namespaces.js';
import type { Lab } from '../lab/types.js';
import type { Observer, Packet, Trace } from './types.js';
import { walk } from './walk.js';

export interface TraceRequest {
  from: string;
  to: string;
  proto: Packet['proto'];
  port?: number;
}

/** The endpoints of a trace in a lab: a pod or node to send from, a name or address to send to. */
export function traceEndpoints(lab: Lab, req: TraceRequest): { netns: string; packet: Packet } {
  const names = [...lab.nodes.map((n) => n.name), ...lab.pods.map((p) => p.name), ...(lab.external ? ['external'] : [])];
  const known = (text: string) => names.includes(text) || findByRef(lab.pods, text).found !== undefined;
  if (!known(req.from)) throw new UsageError(`lab "${lab.name}" has no node or pod named "${req.from}" (it has: ${names.join(', ')})`);
  const from = source(lab, req.from);
  const isAddress = /^\d{1,3}(\.\d{1,3}){3}$/.test(req.to);
  if (!known(req.to) && !isAddress && !serviceNamed(lab, req.to)) {
    throw new UsageError(`"${req.to}" is neither a node, pod or service/NAME of lab "${lab.name}" nor an IPv4 address`);
  }
  const to = target(lab, req.to, from);
  return { netns: from.netns, packet: { src: from.ip, dst: to.ip, proto: req.proto, ...(req.port !== undefined ? { port: req.port } : {}) } };
}

/** Walks the path from live kernel state (the lab gives only names and addresses); `pick` follows that endpoint of a Service. */
export async function traceLab(lab: Lab, req: TraceRequest, observer: Observer, pick?: string): Promise<Trace> {
  const { netns, packet } = traceEndpoints(lab, req);
  const { hops, arrived } = await walk(observer, netns, packet, pick ? { pick } : {});
  return { lab: lab.name, from: req.from, to: req.to, packet, hops, arrived };
}

/** The endpoints a Service behind the target may pick, as pod name and IP; empty for a plain address. */
export function serviceCandidates(lab: Lab, req: TraceRequest): Array<{ pod: string; ip: string }> {
  if (req.proto === 'icmp' || req.port === undefined) return [];
  const to = target(lab, req.to, source(lab, req.from));
  const behind = answeringPods(lab, to, req.port, req.proto);
  return (behind?.pods ?? []).map((pod) => ({ pod, ip: lab.pods.find((p) => p.name === pod)!.ip }));
}

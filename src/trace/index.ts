import { withMetalLBRoute } from './metallb-bgp.js';
import { UsageError } from '../errors.js';
import { answeringPods, lookupFrom, serviceNamed, source, target } from '../lab/endpoints.js';
import { findByRef } from '../lab/namespaces.js';
import { l2Announcements, l2Election } from '../lab/l2-election.js';
import type { GatewayModel, Lab } from '../lab/types.js';
import type { Hop, Observer, Packet, Trace } from './types.js';
import { withBgpExplanation } from './bgp.js';
import { withPolicyVerdict } from './policy.js';
import { walk } from './walk.js';
import { gatewayDecision, nginxDecision } from './ingress.js';
import { controllerEntry } from '../lab/ingress.js';

export interface TraceRequest {
  from: string;
  to: string;
  proto: Packet['proto'];
  port?: number;
  /** To `ingress`, `ingress/NAME` or `gateway/NAME`: the HTTP request the proxy routes (its Host header, path, headers). */
  http?: { host?: string; path: string; headers?: Record<string, string> };
}

/** The endpoints of a trace in a lab: a pod or node to send from, a name or address to send to. */
export function traceEndpoints(lab: Lab, req: TraceRequest): { netns: string; packet: Packet } {
  const names = [...lab.nodes.map((n) => n.name), ...lab.pods.map((p) => p.name), ...(lab.external ? ['external'] : [])];
  const known = (text: string) => names.includes(text) || findByRef(lab.pods, text).found !== undefined;
  if (!known(req.from)) throw new UsageError(`lab "${lab.name}" has no node or pod named "${req.from}" (it has: ${names.join(', ')})`);
  const from = source(lab, req.from);
  if (req.to === 'ingress' || req.to.startsWith('ingress/')) {
    const entry = ingressEntry(lab, req.to);
    return { netns: from.netns, packet: { src: from.ip, dst: entry.ip, proto: 'tcp', port: entry.port } };
  }
  if (req.to.startsWith('gateway/')) {
    const g = servedGateway(lab, req.to);
    const port = g.listeners[0]!.port;
    return { netns: from.netns, packet: { src: from.ip, dst: g.addresses[0]!, proto: 'tcp', port: g.entry[port] ?? port } };
  }
  const isAddress = /^\d{1,3}(\.\d{1,3}){3}$/.test(req.to);
  if (!known(req.to) && !isAddress && !serviceNamed(lab, req.to) && !lookupFrom(lab, from.name, req.to)) {
    throw new UsageError(
      `"${req.to}" is neither a node, pod or service/NAME of lab "${lab.name}", nor a name its cluster DNS answers from ${req.from}, nor an IPv4 address`,
    );
  }
  const to = target(lab, req.to, from);
  return { netns: from.netns, packet: { src: from.ip, dst: to.ip, proto: req.proto, ...(req.port !== undefined ? { port: req.port } : {}) } };
}

/** Walks the path from live kernel state (the lab gives only names and addresses); `pick` follows that endpoint of a Service. */
export async function traceLab(lab: Lab, req: TraceRequest, observer: Observer, pick?: string): Promise<Trace> {
  const { netns, packet } = traceEndpoints(lab, req);
  if (req.to === 'ingress' || req.to.startsWith('ingress/')) return traceIngress(lab, req, observer, netns, packet, pick);
  if (req.to.startsWith('gateway/')) return traceGateway(lab, req, observer, netns, packet);
  const from = source(lab, req.from);
  const to = target(lab, req.to, from);
  const named = to.dnsName !== undefined && observer.resolveName ? await resolutionHop(lab, observer, from, to.dnsName, to.ip) : undefined;
  if (named && !named.ok) return { lab: lab.name, from: req.from, to: req.to, packet, hops: [named.hop], arrived: false };
  const arpAnswers = speakerAnswers(lab);
  const { hops, arrived } = await walk(observer, netns, packet, { ...(pick ? { pick } : {}), ...(arpAnswers.size > 0 ? { arpAnswers } : {}) });
  const all = named ? [named.hop, ...hops.map((h) => ({ ...h, n: h.n + 1 }))] : hops;
  const routed = withMetalLBRoute(lab, { lab: lab.name, from: req.from, to: req.to, packet, hops: all, arrived });
  return withPolicyVerdict(lab, await withBgpExplanation(lab, routed, observer));
}

/**
 * MetalLB L2: each announced address, the eth0 MAC of the node elected to
 * answer ARP for it while every speaker is up, and the election's reason.
 */
export function speakerAnswers(lab: Lab): Map<string, { mac: string; why: string }> {
  const all = new Set(lab.nodes.map((n) => n.name));
  const out = new Map<string, { mac: string; why: string }>();
  for (const a of l2Announcements(lab)) {
    const { owner, candidates } = l2Election(a, all);
    const node = lab.nodes.find((n) => n.name === owner);
    if (!node || out.has(a.ip)) continue;
    const local = a.local ? ', the nodes with an endpoint of it (externalTrafficPolicy Local)' : '';
    out.set(a.ip, {
      mac: node.mac,
      why: `no interface holds ${a.ip}: MetalLB's speaker on ${node.name} answers ARP for it (${a.service}), first of ${candidates.join(', ')}${local} by sha256(node#ip)`,
    });
  }
  return out;
}

/** The name resolved as the pod resolves it, said as the trace's first hop: which record answered, from whom. */
async function resolutionHop(lab: Lab, o: Observer, from: ReturnType<typeof source>, name: string, expected: string): Promise<{ ok: boolean; hop: Hop }> {
  const got = await o.resolveName!(from.netns, name);
  const answer = lookupFrom(lab, from.name, name);
  const packet = { src: from.ip, dst: lab.dns!.serviceIP, proto: 'udp' as const, port: 53 };
  const base = {
    n: 1,
    kind: 'dns' as const,
    netns: from.netns,
    where: from.name,
    packet,
    entry: `/etc/netns/${from.netns}/resolv.conf: nameserver ${lab.dns!.serviceIP} (kube-system/kube-dns), ndots:5`,
  };
  if (!got.includes(expected)) {
    return {
      ok: false,
      hop: {
        ...base,
        summary: `${name} does not resolve to ${expected} here (got ${got.join(', ') || 'no answer'}): ask cluster DNS with \`netlab exec ${lab.name} ${from.name} -- dig +search ${name}\``,
      },
    };
  }
  return {
    ok: true,
    hop: {
      ...base,
      summary: `${from.name} resolves ${name} through its search path: ${answer?.fqdn ?? name} is ${got.join(', ')}, answered by kube-dns at ${lab.dns!.serviceIP}`,
    },
  };
}

/** The endpoints a Service behind the target may pick, as pod name and IP; empty for a plain address. */
export function serviceCandidates(lab: Lab, req: TraceRequest): Array<{ pod: string; ip: string }> {
  if (req.proto === 'icmp' || req.port === undefined) return [];
  const from = source(lab, req.from);
  const to = target(lab, req.to, from);
  const behind = answeringPods(lab, from, to, req.port, req.proto);
  return (behind?.pods ?? []).map((pod) => ({ pod, ip: lab.pods.find((p) => p.name === pod)!.ip }));
}

/** The controller's address and port for `ingress` or `ingress/[NAMESPACE/]NAME`, which must be an Ingress it serves. */
function ingressEntry(lab: Lab, to: string): { ip: string; port: number } {
  const controller = lab.ingress.controller;
  if (!controller) throw new UsageError(`lab "${lab.name}" has no Ingress controller (an IngressClass with controller: k8s.io/ingress-nginx)`);
  if (to !== 'ingress') {
    const ref = to.slice('ingress/'.length);
    const ing = lab.ingress.ingresses.find((i) => i.ref === ref || `${i.namespace}/${i.name}` === ref);
    if (!ing) throw new UsageError(`lab "${lab.name}" has no Ingress "${ref}" (it has: ${lab.ingress.ingresses.map((i) => i.ref).join(', ') || 'none'})`);
    if (!ing.served) throw new UsageError(`Ingress "${ref}" has no address: no controller serves its class ${ing.className ?? '(none)'}`);
  }
  const lb = (lab.services.find((s) => s.ref === controller.service)?.loadBalancerIPs.length ?? 0) > 0;
  return controllerEntry(controller, lb, false);
}

/**
 * Through an Ingress: the walk to the controller (kube-proxy's NodePort or
 * LoadBalancer DNAT to one of its pods), then nginx's decision in that pod
 * (server, location, and why), then, when nginx proxies, a new connection
 * from the controller pod to the upstream's endpoint, walked too.
 */
async function traceIngress(lab: Lab, req: TraceRequest, observer: Observer, netns: string, packet: Packet, pick?: string): Promise<Trace> {
  const arpAnswers = speakerAnswers(lab);
  const first = await walk(observer, netns, packet, arpAnswers.size > 0 ? { arpAnswers } : {});
  const base = { lab: lab.name, from: req.from, to: req.to, packet };
  const last = first.hops.at(-1);
  const controllerPod = lab.ingress.controller?.pods.find((p) => p.netns === last?.netns);
  if (!first.arrived || !controllerPod) return withPolicyVerdict(lab, { ...base, hops: first.hops, arrived: false });
  const http = req.http ?? { path: '/' };
  const d = nginxDecision(lab, http.host, http.path);
  const request = `GET ${http.path}${http.host ? ` Host ${http.host}` : ''}`;
  const chosen = d.outcome.kind === 'proxy' ? (d.outcome.endpoints.find((e) => e.ip === pick) ?? d.outcome.endpoints[0]) : undefined;
  const result =
    d.outcome.kind === 'redirect'
      ? `answers ${d.outcome.status} Location ${d.outcome.location} itself`
      : d.outcome.kind === 'status'
        ? `answers ${d.outcome.status} itself${d.outcome.status === 404 ? " (ingress-nginx's default backend)" : d.outcome.status === 503 ? ' (no ready endpoint)' : ''}`
        : `proxies to upstream ${d.outcome.upstream} (service/${d.outcome.service}): round robin over ${d.outcome.endpoints.map((e) => `${e.ip}:${e.port} (${e.pod})`).join(', ')}; following ${chosen!.pod}`;
  const proxyHop: Hop = {
    n: first.hops.length + 1,
    kind: 'proxy',
    netns: controllerPod.netns,
    where: last!.where,
    packet,
    summary: `nginx in ${controllerPod.name}: ${request}: ${d.serverWhy}; ${d.locationWhy}; ${result}`,
    entry: `${controllerPod.name.replace('/', '.')}/nginx.conf: server_name ${d.server.serverName}; ${d.location ? `location ${d.location.modifier ? '= ' : ''}"${d.location.path}"` : '(no location)'}`,
  };
  if (!chosen) return withPolicyVerdict(lab, { ...base, hops: [...first.hops, proxyHop], arrived: true });
  const onward: Packet = { src: controllerPod.ip, dst: chosen.ip, proto: 'tcp', port: chosen.port };
  const second = await walk(observer, controllerPod.netns, onward);
  const hops = [...first.hops, proxyHop, ...second.hops.map((h) => ({ ...h, n: h.n + first.hops.length + 1 }))];
  return withPolicyVerdict(lab, { ...base, hops, arrived: second.arrived });
}

/** `gateway/NAME` or `gateway/NAMESPACE/NAME`, which a controller of the lab must serve. */
function servedGateway(lab: Lab, to: string): GatewayModel {
  const [a, b] = to.slice('gateway/'.length).split('/');
  const [namespace, name] = b === undefined ? ['default', a] : [a, b];
  const g = lab.gateway.gateways.find((x) => x.name === name && x.namespace === namespace);
  if (!g)
    throw new UsageError(`lab "${lab.name}" has no Gateway "${namespace}/${name}" (it has: ${lab.gateway.gateways.map((x) => x.ref).join(', ') || 'none'})`);
  if (!g.served || !g.pod) throw new UsageError(`Gateway "${g.ref}" has no address: no controller serves its class ${g.className}`);
  return g;
}

/**
 * Through a Gateway: the walk to its nginx pod, then what that nginx does
 * with the request (server, location, the match that holds, and why), then
 * the onward connection to a backend's endpoint (the heaviest backend of a
 * split: split_clients picks per request).
 */
async function traceGateway(lab: Lab, req: TraceRequest, observer: Observer, netns: string, packet: Packet): Promise<Trace> {
  const g = servedGateway(lab, req.to);
  const arpAnswers = speakerAnswers(lab);
  const first = await walk(observer, netns, packet, arpAnswers.size > 0 ? { arpAnswers } : {});
  const base = { lab: lab.name, from: req.from, to: req.to, packet };
  const last = first.hops.at(-1);
  if (!first.arrived || last?.netns !== g.pod!.netns) return withPolicyVerdict(lab, { ...base, hops: first.hops, arrived: false });
  const http = req.http ?? { path: '/' };
  const d = gatewayDecision(g, g.listeners[0]!.port, http.host, http.path, http.headers ?? {});
  const a = d.action;
  const backends = a.kind === 'proxy' ? [...a.backends].filter((b) => b.endpoints.length > 0).sort((x, y) => y.weight - x.weight) : [];
  const chosen = backends[0]?.endpoints[0];
  const result =
    a.kind === 'redirect'
      ? `answers ${a.status} to ${a.scheme ?? 'the same scheme'}://${a.hostname ?? '(the same host)'}${a.port ? `:${a.port}` : ''}`
      : a.kind === 'status'
        ? `answers ${a.status} itself: ${a.why}`
        : chosen
          ? `proxies to service/${backends[0]!.service}${a.backends.length > 1 ? ` (split by weight: ${a.backends.map((b) => `${b.service || 'invalid'} ${b.weight}`).join(', ')}; following the heaviest)` : ''}: ${backends[0]!.endpoints.map((e) => `${e.ip}:${e.port} (${e.pod})`).join(', ')}; following ${chosen.pod}`
          : 'answers 503: its backend has no ready endpoint';
  const proxyHop: Hop = {
    n: first.hops.length + 1,
    kind: 'proxy',
    netns: g.pod!.netns,
    where: last.where,
    packet,
    summary: `nginx of Gateway ${g.ref}: GET ${http.path}${http.host ? ` Host ${http.host}` : ''}: ${d.serverWhy}${d.locationWhy ? `; ${d.locationWhy}` : ''}${d.matchWhy ? `; ${d.matchWhy}` : ''}; ${result}`,
    entry: `${g.namespace}.${g.name}/nginx.conf`,
  };
  if (!chosen) return withPolicyVerdict(lab, { ...base, hops: [...first.hops, proxyHop], arrived: true });
  const second = await walk(observer, g.pod!.netns, { src: g.pod!.ip, dst: chosen.ip, proto: 'tcp', port: chosen.port });
  const hops = [...first.hops, proxyHop, ...second.hops.map((h) => ({ ...h, n: h.n + first.hops.length + 1 }))];
  return withPolicyVerdict(lab, { ...base, hops, arrived: second.arrived });
}

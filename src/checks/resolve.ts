import { cniConformance } from './conformance-cni.js';
import type { RawAction, RawAnnouncerTest, RawCapture, RawConnect, RawDnsTest, RawHttpTest, RawPing, RawPolicyMatrix, RawTest } from '../lab/raw.js';
import type { Lab } from '../lab/types.js';
import { conformanceCases } from './conformance.js';
import { dnsConformance } from './conformance-dns.js';
import { loadBalancerConformance } from './conformance-loadbalancer.js';
import { serviceConformance } from './conformance-services.js';
import { expandTemplates } from './templates.js';
import { answeringPods, serviceNamed, source, target } from '../lab/endpoints.js';
import { findByRef } from '../lab/namespaces.js';
import { controllerEntry } from '../lab/ingress.js';
import { explainVerdict, policyVerdict } from '../lab/policies.js';
import type { ActionCheck, AnnouncerCheck, CaptureCheck, Check, DnsCheck, HttpCheck, MatrixCell, PolicyMatrixCheck } from './types.js';

export { source, target };

/** How many echo requests a ping test sends when the file does not say. */
const DEFAULT_PING_COUNT = 1;

/** The lab file's `tests:` as checks, conformance expanded into its cases. Pure. */
export function resolveChecks(lab: Lab): Check[] {
  return uniquelyNamed(lab.tests.flatMap((test) => resolveTest(lab, test)));
}

/**
 * A test's name is its id: `--only`, the shards and merge-junit find it by
 * name. Two tests written alike (or given one name) would be one id, and
 * merge-junit took them for overlapping shards: the second and later of a
 * name get ` #2`, ` #3` in file order, the same on every machine.
 */
function uniquelyNamed(checks: Check[]): Check[] {
  const seen = new Map<string, number>();
  const taken = new Set(checks.map((c) => c.name));
  return checks.map((c) => {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    if (n === 1) return c;
    let k = n;
    while (taken.has(`${c.name} #${k}`)) k++;
    taken.add(`${c.name} #${k}`);
    return { ...c, name: `${c.name} #${k}` };
  });
}

function resolveTest(lab: Lab, test: RawTest): Check[] {
  if (test.conformance) {
    const sample = test.conformance.sample;
    return [
      ...cniConformance(lab),
      ...conformanceCases(lab, sample !== undefined ? { sample } : {}),
      ...serviceConformance(lab),
      ...loadBalancerConformance(lab),
      ...dnsConformance(lab),
    ];
  }
  if (test.capture) return [resolveCapture(lab, test.capture, test.name)];
  if (test.dns) return [resolveDns(lab, test.dns, test.name)];
  if (test.policyMatrix) return [resolveMatrix(lab, test.policyMatrix, test.name)];
  if (test.announcer) return [resolveAnnouncer(lab, test.announcer, test.name)];
  if (test.http) return [resolveHttp(lab, test.http, test.name)];
  return [resolveAction(lab, test, test.name)];
}

function resolveAction(lab: Lab, action: RawAction, name: string | undefined): ActionCheck {
  if (action.ping) return resolvePing(lab, action.ping, name);
  if (action.tcp) return resolveConnect(lab, 'tcp', action.tcp, name);
  return resolveConnect(lab, 'udp', action.udp!, name);
}

function resolvePing(lab: Lab, spec: RawPing, name: string | undefined): ActionCheck {
  const from = source(lab, spec.from);
  const to = target(lab, spec.to, from);
  const expect = spec.expect ?? 'reachable';
  const size = spec.size !== undefined ? ` ${spec.size} bytes${spec.dontFragment ? ', DF' : ''}` : spec.dontFragment ? ' DF' : '';
  return {
    kind: 'ping',
    name: name ?? `ping ${from.name} → ${to.label}${size}${expect === 'unreachable' ? ' is unreachable' : expect === 'blocked' ? ' is blocked' : ''}`,
    from,
    to,
    count: spec.count ?? DEFAULT_PING_COUNT,
    size: spec.size,
    dontFragment: spec.dontFragment ?? false,
    expect,
  };
}

function resolveConnect(lab: Lab, kind: 'tcp' | 'udp', spec: RawConnect, name: string | undefined): ActionCheck {
  const from = source(lab, spec.from);
  const to = target(lab, spec.to, from);
  const expect = spec.expect ?? 'reachable';
  const behind = answeringPods(lab, from, to, spec.port, kind);
  const allowed = Array.isArray(spec.endpoints) ? spec.endpoints.map((p) => findByRef(lab.pods, p).found!.name) : behind?.pods;
  const everyOf = spec.endpoints === undefined ? undefined : allowed;
  // A pod talking to a Service is not translated, unless it is its own endpoint (hairpin); NodePort traffic from outside is.
  const sourceIP =
    spec.sourceIP ??
    (from.kind === 'pod' && !to.ip.startsWith('127.') && !(behind?.pods.includes(from.name) ?? false) && behind?.service.clusterIP === to.ip
      ? 'preserved'
      : undefined);
  return {
    kind,
    name:
      name ??
      `${kind} ${from.name} → ${to.label}:${spec.port}${everyOf ? ' reaches every endpoint' : ''}${expect === 'unreachable' ? ' is closed' : expect === 'blocked' ? ' is blocked' : ''}`,
    from,
    to,
    port: spec.port,
    expect,
    ...(allowed ? { answerFrom: allowed } : {}),
    ...(everyOf ? { everyOf } : {}),
    ...(sourceIP ? { sourceIP } : {}),
  };
}

/** Where an `http:` test's request goes: the controller's address (its LoadBalancer IP, else a node and the NodePort), or an address. */
function httpTarget(lab: Lab, spec: RawHttpTest): { ip: string; label: string; port: number } {
  if (spec.to.startsWith('gateway/')) {
    const g = gatewayNamed(lab, spec.to)!;
    // Without a port: the first listener of the request's scheme (an HTTPS one carries a certificate).
    const port = spec.port ?? (g.listeners.find((l) => (spec.scheme === 'https') === (l.tls !== undefined)) ?? g.listeners[0]!).port;
    return { ip: g.addresses[0]!, label: spec.to, port: g.entry[port] ?? port };
  }
  const controller = lab.ingress.controller;
  const https = spec.scheme === 'https';
  if (spec.to.startsWith('ingress') && controller) {
    const lb = lab.services.find((s) => s.ref === controller.service)!.loadBalancerIPs.length > 0;
    const entry = controllerEntry(controller, lb, https);
    return { ip: entry.ip, label: spec.to, port: spec.port ?? entry.port };
  }
  return { ip: spec.to, label: spec.to, port: spec.port ?? (https ? 443 : 80) };
}

function resolveHttp(lab: Lab, spec: RawHttpTest, name: string | undefined): HttpCheck {
  const from = source(lab, spec.from);
  const to = httpTarget(lab, spec);
  const e = spec.expect ?? {};
  const backend = e.backend !== undefined ? serviceNamed(lab, e.backend) : undefined;
  const pod = e.pod !== undefined ? findByRef(lab.pods, e.pod).found : undefined;
  const answerFrom = pod
    ? { pods: [pod.name], label: `pod ${pod.name}` }
    : backend
      ? { pods: [...new Set(backend.ports.flatMap((p) => p.endpoints.map((x) => x.pod)))], label: `an endpoint of service/${backend.ref}` }
      : undefined;
  const method = spec.method ?? 'GET';
  const path = spec.path ?? '/';
  const status = e.status ?? 200;
  const host = spec.host ? ` Host ${spec.host}` : '';
  return {
    kind: 'http',
    name:
      name ?? `${spec.scheme ?? 'http'} ${from.name} → ${to.label}: ${method} ${path}${host} gives ${status}${answerFrom ? ` from ${answerFrom.label}` : ''}`,
    from,
    to: { ip: to.ip, label: to.label },
    port: to.port,
    ...(spec.scheme === 'https' ? { https: true as const } : {}),
    method,
    path,
    host: spec.host,
    headers: Object.entries(spec.headers ?? {}),
    ...(spec.endpoints === 'all' && answerFrom ? { everyOf: answerFrom.pods } : {}),
    ...(e.weights
      ? {
          weights: Object.entries(e.weights).map(([label, weight]) => {
            const svc = serviceNamed(lab, label);
            return { label, weight, pods: svc ? [...new Set(svc.ports.flatMap((p) => p.endpoints.map((x) => x.pod)))] : [] };
          }),
        }
      : {}),
    expect: {
      status,
      ...(answerFrom ? { answerFrom } : {}),
      ...(e.headers ? { headers: e.headers } : {}),
      ...(e.responseHeaders ? { responseHeaders: e.responseHeaders } : {}),
      ...(e.absentHeaders ? { absentHeaders: e.absentHeaders } : {}),
      ...(e.absentResponseHeaders ? { absentResponseHeaders: e.absentResponseHeaders } : {}),
      ...(e.path !== undefined ? { path: e.path } : {}),
      ...(e.redirect !== undefined ? { redirect: e.redirect } : {}),
    },
  };
}

function resolveAnnouncer(lab: Lab, spec: RawAnnouncerTest, name: string | undefined): AnnouncerCheck {
  return {
    kind: 'announcer',
    name: name ?? `announcer: ${spec.node} answers ARP for ${spec.address}`,
    netns: lab.external!.netns,
    dev: 'eth0',
    address: spec.address,
    node: spec.node,
    macs: Object.fromEntries(lab.nodes.map((n) => [n.name, n.mac])),
  };
}

function resolveCapture(lab: Lab, spec: RawCapture, name: string | undefined): CaptureCheck {
  const [where, iface] = spec.on.split(':') as [string, string];
  const action = resolveAction(lab, spec.while, undefined);
  const filter = expandTemplates(spec.filter ?? '', lab);
  return {
    kind: 'capture',
    name: name ?? `capture on ${spec.on}${filter ? ` (${filter})` : ''} while ${action.name}`,
    on: spec.on,
    netns: source(lab, where).netns,
    iface,
    filter,
    action,
    flushNeighbours: spec.flushNeighbours ?? false,
    expect: { ...spec.expect, ...(spec.expect?.match ? { match: expandTemplates(spec.expect.match, lab) } : {}) },
  };
}

function resolveDns(lab: Lab, spec: RawDnsTest, name: string | undefined): DnsCheck {
  const from = source(lab, spec.from);
  const type = spec.type ?? 'A';
  const expect = spec.expect ?? [];
  const what = expect === 'nxdomain' ? 'does not exist' : expect.length > 0 ? `is ${expect.join(', ')}` : 'resolves';
  return {
    kind: 'dns',
    name: name ?? `dns ${from.name}: ${spec.name} ${type} ${what}`,
    from,
    query: spec.name,
    type,
    expect: expect.length === 0 ? [] : expect,
  };
}

/**
 * A policy matrix: by default every pod (cluster DNS's excepted) to every
 * pod on ports 80 and 81 over TCP, upstream's model; each cell's expectation
 * is the oracle's (src/lab/policies.ts), which never reads the kernel's rules.
 */
function resolveMatrix(lab: Lab, spec: RawPolicyMatrix, name: string | undefined): PolicyMatrixCheck {
  const everyPod = lab.pods.filter((p) => p.system === undefined).map((p) => p.name);
  const rows = (spec.from ?? everyPod).map((r) => findByRef(lab.pods, r).found!.name);
  const columns = (spec.to ?? everyPod).map((r) => findByRef(lab.pods, r).found!.name);
  // Looked up once: a search of every pod per cell made a 3,000-pod matrix cubic.
  const pods = new Map(lab.pods.map((p) => [p.name, p]));
  const cells: MatrixCell[] = [];
  for (const protocol of spec.protocols ?? ['tcp']) {
    for (const port of spec.ports ?? [80, 81]) {
      for (const f of rows) {
        for (const t of columns) {
          // A pod reaching itself never leaves it: upstream ignores loopback (ignoreLoopback), and so do we.
          if (f === t) continue;
          const fromPod = pods.get(f)!;
          const toPod = pods.get(t)!;
          const v = policyVerdict(lab.policies, lab.namespaces, { pod: fromPod }, { pod: toPod }, port, protocol);
          const served = toPod.containers.some((c) => c.listen.some((l) => l.port === port && l.protocol === protocol));
          cells.push({ from: source(lab, f), to: { ip: toPod.ip, label: t, pod: t }, port, protocol, allowed: v.allowed, why: explainVerdict(v), served });
        }
      }
    }
  }
  const what = `${rows.length}×${columns.length} pods, ports ${(spec.ports ?? [80, 81]).join(', ')}, ${(spec.protocols ?? ['tcp']).join(' and ')}`;
  return { kind: 'policyMatrix', name: name ?? `policy matrix: ${what}`, rows, columns, cells };
}

/** `gateway/NAME` (default namespace) or `gateway/NAMESPACE/NAME`. */
export function gatewayNamed(lab: Lab, text: string): Lab['gateway']['gateways'][number] | undefined {
  const [a, b] = text.slice('gateway/'.length).split('/');
  const [namespace, name] = b === undefined ? ['default', a] : [a, b];
  return lab.gateway.gateways.find((g) => g.name === name && g.namespace === namespace);
}

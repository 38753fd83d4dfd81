import { startCapture } from '../kernel/capture.js';
import { lookUp } from '../kernel/diagnose.js';
import { flushNeighbours, neighbourLimit } from '../kernel/inspect.js';
import { askNeighbour } from '../kernel/arp.js';
import { ping } from '../kernel/ping.js';
import { runProbeRounds, runProbes, type Probe, type ProbeResult } from '../kernel/probe.js';
import { mapLimit } from '../kernel/run.js';
import type { Lab } from '../lab/types.js';
import { diagnosisLookups } from './diagnosis.js';
import { REACHABLE_TIMEOUT, result } from './result.js';
import { runConformance } from './run-conformance.js';
import { dig, resolveName } from '../kernel/dig.js';
import { judgeCapture, judgeConnect, judgeDns, judgePing } from './judge.js';
import type {
  ActionCheck,
  AnnouncerCheck,
  HttpCheck,
  CaptureCheck,
  Check,
  CniCheck,
  ConformanceCase,
  ConnectCheck,
  DnsCheck,
  PingCheck,
  PolicyMatrixCheck,
  TestResult,
} from './types.js';
import { runCniChecks } from './run-cni.js';
import { runHttp } from './run-http.js';
import { runMatrix } from './run-matrix.js';
import { connectFlow, neighbourRounds } from './neighbour-budget.js';

export interface RunOptions {
  /** Independent checks in flight at once. */
  concurrency: number;
  /** The lab's state directory, where CNI results are cached. */
  stateDir: string;
  onResult?: (index: number, result: TestResult) => void;
}

const UNREACHABLE_TIMEOUT = 2;
/** `expect: blocked`: a policy's drop is a silence, and a table of cells must stay fast. */
const BLOCKED_TIMEOUT = 1;
/** Failures that get a diagnosis (route, neighbours, FDB); past that, the rest only say what failed. */
const MAX_DIAGNOSES = 8;

/**
 * Runs checks against a running lab. Pings, connections and conformance run
 * concurrently; captures run one at a time with nothing else in flight, so
 * no other test's packets land in them. Results keep the checks' order.
 */
export async function runChecks(lab: Lab, checks: Check[], options: RunOptions): Promise<TestResult[]> {
  const results: TestResult[] = new Array(checks.length);
  const record = (i: number, r: TestResult) => {
    results[i] = r;
    options.onResult?.(i, r);
  };
  // A target given by DNS name is resolved from its source first, as a program would; a wrong or missing answer fails the check.
  const unresolved = await resolveNames(checks, options.concurrency);
  for (const [i, r] of unresolved) record(i, r);
  const indexed = checks.map((check, index) => ({ check, index })).filter(({ index }) => !unresolved.has(index));
  const pings = indexed.filter((c): c is { check: PingCheck; index: number } => c.check.kind === 'ping');
  const connects = indexed.filter((c): c is { check: ConnectCheck; index: number } => c.check.kind === 'tcp' || c.check.kind === 'udp');
  const cases = indexed.filter((c): c is { check: ConformanceCase; index: number } => c.check.kind === 'conformance');
  const captures = indexed.filter((c): c is { check: CaptureCheck; index: number } => c.check.kind === 'capture');
  const lookups = indexed.filter((c): c is { check: DnsCheck; index: number } => c.check.kind === 'dns');
  const matrices = indexed.filter((c): c is { check: PolicyMatrixCheck; index: number } => c.check.kind === 'policyMatrix');
  const cniChecks = indexed.filter((c): c is { check: CniCheck; index: number } => c.check.kind === 'cni');
  const announcers = indexed.filter((c): c is { check: AnnouncerCheck; index: number } => c.check.kind === 'announcer');
  const requests = indexed.filter((c): c is { check: HttpCheck; index: number } => c.check.kind === 'http');

  const spreads = connects.filter((c) => c.check.everyOf !== undefined && c.check.expect === 'reachable');
  const sticky = connects.filter((c) => c.check.sticky && c.check.expect === 'reachable');
  await Promise.all([
    mapLimit(pings, options.concurrency, async ({ check, index }) => record(index, await runPing(check))),
    runConnects(
      lab,
      connects.filter((c) => !spreads.includes(c) && !sticky.includes(c)),
      record,
    ),
    // Spreads at once while their neighbour entries fit the shared table together, else one at a time.
    mapLimit(spreads, (await spreadsFit(lab, spreads)) ? options.concurrency : 1, async ({ check, index }) => record(index, await runSpread(lab, check))),
    mapLimit(sticky, options.concurrency, async ({ check, index }) => record(index, await runSticky(lab, check))),
    mapLimit(matrices, 1, async ({ check, index }) => record(index, await runMatrix(lab, check))),
    mapLimit(lookups, options.concurrency, async ({ check, index }) => {
      const started = performance.now();
      const o = await dig(check.from.netns, check.query, check.type);
      const v = judgeDns(check, o);
      record(index, result(check, v.ok, v.message, started, { command: o.command, output: o.output }));
    }),
    runConformance(lab, cases, record),
    runCniChecks(cniChecks, options, record),
    runHttp(lab, requests, options.stateDir, record),
  ]);
  for (const { check, index } of captures) record(index, await runCapture(lab, check));
  // One at a time: each empties the client's entry for its address and asks again.
  for (const { check, index } of announcers) record(index, await runAnnouncer(check));

  let diagnosed = 0;
  for (const [i, r] of results.entries()) {
    if (r.status !== 'failed' || diagnosed >= MAX_DIAGNOSES) continue;
    const check = checks[i]!;
    if (check.kind === 'dns' || check.kind === 'policyMatrix' || check.kind === 'cni' || check.kind === 'announcer') continue;
    const about = check.kind === 'capture' ? check.action : check;
    if (about.kind === 'conformance' && about.group === 'own-ip') continue;
    r.evidence.diagnosis = await lookUp(diagnosisLookups(lab, about.from, about.to.ip));
    diagnosed++;
  }
  return results;
}

async function runPing(check: PingCheck): Promise<TestResult> {
  const started = performance.now();
  const deadline =
    check.expect === 'reachable' ? Math.ceil(check.count * 0.2) + REACHABLE_TIMEOUT : check.expect === 'blocked' ? BLOCKED_TIMEOUT : UNREACHABLE_TIMEOUT;
  const o = await ping(check.from.netns, check.to.ip, { count: check.count, size: check.size, dontFragment: check.dontFragment, deadline });
  const v = judgePing(check, o);
  return result(check, v.ok, v.message, started, { command: o.command, exitCode: o.exitCode, output: o.output });
}

async function runAnnouncer(check: AnnouncerCheck): Promise<TestResult> {
  const started = performance.now();
  const a = await askNeighbour(check.netns, check.dev, check.address);
  const node = Object.entries(check.macs).find(([, mac]) => mac === a.mac)?.[0];
  const output = [`${check.address} lladdr ${a.mac ?? '(none)'} ${a.state}`];
  const message =
    a.mac === undefined
      ? `nobody answered ARP for ${check.address} (entry ${a.state}): no speaker announces it`
      : node === undefined
        ? `${check.address} is at ${a.mac}, which is no node's eth0`
        : node === check.node
          ? `${check.address} is at ${a.mac}, ${node}'s eth0`
          : `${check.address} is at ${a.mac}, ${node}'s eth0, not ${check.node}'s`;
  return result(check, node === check.node, message, started, { command: a.commands.join('\n'), output });
}

function connectProbe(id: number, check: ConnectCheck): Probe {
  const timeout = check.expect === 'reachable' ? REACHABLE_TIMEOUT : check.expect === 'blocked' ? BLOCKED_TIMEOUT : UNREACHABLE_TIMEOUT;
  return { id, kind: check.kind, netns: check.from.netns, dst: check.to.ip, port: check.port, timeout };
}

function describeConnect(check: ConnectCheck): string {
  return `from ${check.from.netns}: ${check.kind} connect to ${check.to.ip}:${check.port}, send "identify", read the answer`;
}

/**
 * Connection tests, all from one prober: at once when their neighbour
 * entries fit the kernel's shared table, else in rounds that each fit, the
 * caches each round filled emptied before the next (as conformance and the
 * policy matrix run).
 */
async function runConnects(lab: Lab, items: Array<{ check: ConnectCheck; index: number }>, record: (i: number, r: TestResult) => void): Promise<void> {
  if (items.length === 0) return;
  const started = performance.now();
  const rounds = neighbourRounds(
    lab,
    items.map(({ check }) => connectFlow(check)),
    (await neighbourLimit()) / 2,
  );
  await runProbeRounds(
    lab.fabric.netns,
    rounds.map((round) => ({ probes: round.cases.map((id) => connectProbe(id, items[id]!.check)), forget: rounds.length > 1 ? round.namespaces : [] })),
    {
      onResult: (r) => {
        const { check, index } = items[r.id]!;
        const v = judgeConnect(check, r);
        const output = [r.ok ? `answer: ${JSON.stringify(r.answer)}` : `error: ${r.error}`];
        record(index, { ...result(check, v.ok, v.message, started, { command: describeConnect(check), output }), durationMs: Math.round(r.ms) });
      },
    },
  );
}

/** One action a capture watches; its outcome is evidence, not the verdict. */
async function runAction(lab: Lab, action: ActionCheck): Promise<string[]> {
  if (action.kind === 'ping') {
    const r = await runPing(action);
    return [`${r.evidence.command} → ${r.message}`];
  }
  const results = await runProbes(lab.fabric.netns, [connectProbe(0, action)]);
  const v = judgeConnect(action, results.get(0));
  return [`${describeConnect(action)} → ${v.message}`];
}

async function runCapture(lab: Lab, check: CaptureCheck): Promise<TestResult> {
  const started = performance.now();
  let capture;
  try {
    capture = await startCapture(check.netns, check.iface, check.filter);
  } catch (e) {
    return result(check, false, (e as Error).message, started, {});
  }
  if (check.flushNeighbours) await flushNeighbours(check.action.from.netns);
  // The traffic's own outcome is evidence; the verdict is about what crossed the wire.
  const action = await runAction(lab, check.action).catch((e: Error) => [`the traffic could not be sent: ${e.message}`]);
  const { packets } = await capture.stop();
  const v = judgeCapture(check.expect, packets);
  return result(check, v.ok, v.message, started, { command: capture.command, packets, output: action });
}

/** Whether every spread's neighbour entries fit half the kernel's table at once. */
async function spreadsFit(lab: Lab, spreads: Array<{ check: ConnectCheck }>): Promise<boolean> {
  if (spreads.length < 2) return true;
  const flows = spreads.map(({ check }) => connectFlow({ ...check, answerFrom: check.everyOf ?? [] }));
  return neighbourRounds(lab, flows, (await neighbourLimit()) / 2).length <= 1;
}

/** Connections per endpoint in one round of a spread: a random pick misses a given endpoint of N in 8N tries with odds e^-8. */
const SPREAD_TRIES_PER_ENDPOINT = 8;
const SPREAD_ROUNDS = 3;

/**
 * A Service's load balancing, proved: new connections (each a new conntrack
 * entry, so a new random pick) until every expected endpoint has answered,
 * in bounded rounds. Every answer must also come from an allowed pod and see
 * the client as expected.
 */
async function runSpread(lab: Lab, check: ConnectCheck): Promise<TestResult> {
  const started = performance.now();
  const wanted = new Set(check.everyOf);
  const seen = new Map<string, number>();
  const output: string[] = [];
  if (wanted.size === 0) {
    return result(check, false, `${check.to.label}:${check.port}/${check.kind} has no endpoints to reach`, started, {
      command: describeConnect(check),
      output,
    });
  }
  const learned = neighbourRounds(lab, [connectFlow({ ...check, answerFrom: [...wanted] })], Infinity)[0]?.namespaces ?? [];
  for (let round = 0; round < SPREAD_ROUNDS && [...wanted].some((p) => !seen.has(p)); round++) {
    const probes = Array.from({ length: wanted.size * SPREAD_TRIES_PER_ENDPOINT }, (_, id) => connectProbe(id, check));
    const answers = new Map<number, ProbeResult>();
    // Each round's learned neighbours are emptied after it: a Service over many pods fills the shared table fast.
    await runProbeRounds(lab.fabric.netns, [{ probes, forget: learned }], { parallel: 16, onResult: (r) => answers.set(r.id, r) });
    for (const r of answers.values()) {
      const v = judgeConnect(check, r);
      if (!v.ok) return result(check, false, v.message, started, { command: describeConnect(check), output: [...output, `error: ${r.error ?? v.message}`] });
      const who = r.answer?.hostname ?? '?';
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    output.push(`round ${round + 1}: ${probes.length} connections, answered by ${[...seen].map(([p, n]) => `${p} ×${n}`).join(', ')}`);
  }
  const missing = [...wanted].filter((p) => !seen.has(p));
  const message =
    missing.length === 0
      ? `every endpoint answered (${[...wanted].join(', ')})`
      : `${missing.join(', ')} never answered in ${SPREAD_ROUNDS * wanted.size * SPREAD_TRIES_PER_ENDPOINT} connections (answered: ${[...seen.keys()].join(', ') || 'none'})`;
  return result(check, missing.length === 0, message, started, { command: describeConnect(check), output });
}

/** Connections after the first in an affinity check: with three endpoints, a random pick agrees 15 times with odds 3^-15. */
const STICKY_CONNECTIONS = 15;

/**
 * ClientIP affinity, proved: a first connection picks an endpoint and
 * records the client; the next ones (new connections, so new conntrack
 * entries, sent together) must all reach the same pod.
 */
async function runSticky(lab: Lab, check: ConnectCheck): Promise<TestResult> {
  const started = performance.now();
  const evidence = (output: string[]) => ({ command: describeConnect(check), output });
  const first = (await runProbes(lab.fabric.netns, [connectProbe(0, check)])).get(0)!;
  const v = judgeConnect(check, first);
  if (!v.ok) return result(check, false, v.message, started, evidence([`first connection: ${first.error ?? v.message}`]));
  const chosen = first.answer?.hostname ?? '?';
  const probes = Array.from({ length: STICKY_CONNECTIONS }, (_, i) => connectProbe(i + 1, check));
  const seen = new Map<string, number>();
  for (const r of (await runProbes(lab.fabric.netns, probes, { parallel: 16 })).values()) {
    const w = judgeConnect(check, r);
    if (!w.ok) return result(check, false, w.message, started, evidence([`first connection: ${chosen}`, `error: ${r.error ?? w.message}`]));
    const who = r.answer?.hostname ?? '?';
    seen.set(who, (seen.get(who) ?? 0) + 1);
  }
  const others = [...seen].filter(([pod]) => pod !== chosen);
  const output = [`first connection: ${chosen}`, `then ${STICKY_CONNECTIONS}: ${[...seen].map(([p, n]) => `${p} ×${n}`).join(', ')}`];
  const message =
    others.length === 0
      ? `all ${STICKY_CONNECTIONS + 1} connections answered by ${chosen}`
      : `the first connection went to ${chosen}, then ${others.map(([p, n]) => `${n} to ${p}`).join(', ')}: no affinity`;
  return result(check, others.length === 0, message, started, evidence(output));
}

/** The checks whose DNS-name target did not resolve in the source to the address cluster DNS must give: their failed results. */
async function resolveNames(checks: Check[], limit: number): Promise<Map<number, TestResult>> {
  const failed = new Map<number, TestResult>();
  await mapLimit(checks, limit, async (check, i) => {
    const action = check.kind === 'capture' ? check.action : check;
    if (
      action.kind === 'dns' ||
      action.kind === 'conformance' ||
      action.kind === 'policyMatrix' ||
      action.kind === 'cni' ||
      action.kind === 'announcer' ||
      action.kind === 'http'
    )
      return;
    if (!action.to.dnsName) return;
    const started = performance.now();
    const r = await resolveName(action.from.netns, action.to.dnsName);
    if (r.addresses.includes(action.to.ip)) return;
    const why = r.error ?? `it resolved to ${r.addresses.join(', ')}, not ${action.to.ip} as cluster DNS must answer`;
    failed.set(i, result(check, false, `${action.to.dnsName}: ${why}`, started, { command: r.command }));
  });
  return failed;
}

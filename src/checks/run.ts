import { startCapture } from '../kernel/capture.js';
import { lookUp } from '../kernel/diagnose.js';
import { flushNeighbours, ipv4Addresses, neighbourLimit } from '../kernel/inspect.js';
import { meshNeighbourEstimate } from './neighbour-budget.js';
import { ping } from '../kernel/ping.js';
import { runProbes, type Probe, type ProbeResult } from '../kernel/probe.js';
import { mapLimit } from '../kernel/run.js';
import type { Lab } from '../lab/types.js';
import { diagnosisLookups } from './diagnosis.js';
import { judgeAspect, judgeCapture, judgeConnect, judgePing } from './judge.js';
import type { ActionCheck, CaptureCheck, Check, ConformanceCase, ConnectCheck, PingCheck, TestResult } from './types.js';

export interface RunOptions {
  /** Independent checks in flight at once. */
  concurrency: number;
  onResult?: (index: number, result: TestResult) => void;
}

/** Seconds a probe may take before it counts as no answer. */
const REACHABLE_TIMEOUT = 3;
const UNREACHABLE_TIMEOUT = 2;
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
  const indexed = checks.map((check, index) => ({ check, index }));
  const pings = indexed.filter((c): c is { check: PingCheck; index: number } => c.check.kind === 'ping');
  const connects = indexed.filter((c): c is { check: ConnectCheck; index: number } => c.check.kind === 'tcp' || c.check.kind === 'udp');
  const cases = indexed.filter((c): c is { check: ConformanceCase; index: number } => c.check.kind === 'conformance');
  const captures = indexed.filter((c): c is { check: CaptureCheck; index: number } => c.check.kind === 'capture');

  await Promise.all([
    mapLimit(pings, options.concurrency, async ({ check, index }) => record(index, await runPing(check))),
    runConnects(lab, connects, record),
    runConformance(lab, cases, options.concurrency, record),
  ]);
  for (const { check, index } of captures) record(index, await runCapture(lab, check));

  let diagnosed = 0;
  for (const [i, r] of results.entries()) {
    if (r.status !== 'failed' || diagnosed >= MAX_DIAGNOSES) continue;
    const check = checks[i]!;
    const about = check.kind === 'capture' ? check.action : check;
    if (about.kind === 'conformance' && about.group === 'own-ip') continue;
    r.evidence.diagnosis = await lookUp(diagnosisLookups(lab, about.from, about.to.ip));
    diagnosed++;
  }
  return results;
}

function result(check: Check, ok: boolean, message: string, started: number, evidence: TestResult['evidence']): TestResult {
  return {
    name: check.name,
    kind: check.kind,
    ...(check.kind === 'conformance' ? { group: check.group } : {}),
    status: ok ? 'passed' : 'failed',
    durationMs: Math.round(performance.now() - started),
    message,
    evidence,
  };
}

async function runPing(check: PingCheck): Promise<TestResult> {
  const started = performance.now();
  const deadline = check.expect === 'reachable' ? Math.ceil(check.count * 0.2) + REACHABLE_TIMEOUT : UNREACHABLE_TIMEOUT;
  const o = await ping(check.from.netns, check.to.ip, { count: check.count, size: check.size, dontFragment: check.dontFragment, deadline });
  const v = judgePing(check, o);
  return result(check, v.ok, v.message, started, { command: o.command, exitCode: o.exitCode, output: o.output });
}

function connectProbe(id: number, check: ConnectCheck): Probe {
  const timeout = check.expect === 'reachable' ? REACHABLE_TIMEOUT : UNREACHABLE_TIMEOUT;
  return { id, kind: check.kind, netns: check.from.netns, dst: check.to.ip, port: check.port, timeout };
}

function describeConnect(check: ConnectCheck): string {
  return `from ${check.from.netns}: ${check.kind} connect to ${check.to.ip}:${check.port}, send "identify", read the answer`;
}

async function runConnects(lab: Lab, items: Array<{ check: ConnectCheck; index: number }>, record: (i: number, r: TestResult) => void): Promise<void> {
  const started = performance.now();
  const probes = items.map(({ check }, id) => connectProbe(id, check));
  await runProbes(lab.fabric.netns, probes, {
    onResult: (r) => {
      const { check, index } = items[r.id]!;
      const v = judgeConnect(check, r);
      const output = [r.ok ? `answer: ${JSON.stringify(r.answer)}` : `error: ${r.error}`];
      record(index, { ...result(check, v.ok, v.message, started, { command: describeConnect(check), output }), durationMs: Math.round(r.ms) });
    },
  });
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

async function runConformance(
  lab: Lab,
  items: Array<{ check: ConformanceCase; index: number }>,
  concurrency: number,
  record: (i: number, r: TestResult) => void,
): Promise<void> {
  if (items.length === 0) return;
  const started = performance.now();
  const ownIp = items.filter((c) => c.check.group === 'own-ip');
  const probed = items.filter((c) => c.check.group !== 'own-ip');

  await mapLimit(ownIp, concurrency, async ({ check, index }) => {
    const t = performance.now();
    const held = await ipv4Addresses(check.from.netns, 'eth0').catch((e: Error) => [`error: ${e.message}`]);
    const ok = held.length === 1 && held[0] === check.to.ip;
    const message = ok ? `eth0 holds ${check.to.ip}` : `eth0 holds ${held.join(', ') || 'nothing'}, expected only ${check.to.ip}`;
    record(index, result(check, ok, message, t, { command: `ip -n ${check.from.netns} -4 -j addr show dev eth0`, output: held }));
  });

  const outcomes = probed.map(({ check }) => check.aspects.map(() => undefined as ReturnType<typeof judgeAspect> | undefined));
  const remaining = probed.map(({ check }) => check.aspects.length);
  const slowest = probed.map(() => 0);
  const onResult = (owner: Array<{ item: number; aspect: number }>) => (r: ProbeResult) => {
    const { item, aspect } = owner[r.id]!;
    const { check, index } = probed[item]!;
    outcomes[item]![aspect] = judgeAspect(check.aspects[aspect]!, r);
    slowest[item] = Math.max(slowest[item]!, r.ms);
    if (--remaining[item]! > 0) return;
    const verdicts = check.aspects.map((a, i) => ({ label: a.label, ...outcomes[item]![i]! }));
    const failed = verdicts.filter((v) => !v.ok);
    const message = failed.length === 0 ? verdicts.map((v) => v.label).join(', ') : failed.map((v) => `${v.label}: ${v.message}`).join('; ');
    const aspects = verdicts.map((v) => ({ label: v.label, ok: v.ok, detail: v.message }));
    record(index, { ...result(check, failed.length === 0, message, started, { aspects }), durationMs: Math.round(slowest[item]!) });
  };

  // One prober run for the whole mesh, unless the mesh would overflow the
  // kernel's shared ARP table: then one source node at a time, emptying the
  // ARP caches of that node's pods before the next (see neighbour-budget.ts).
  const chunked = meshNeighbourEstimate(lab) > (await neighbourLimit()) / 2;
  const nodeOfSource = (c: ConformanceCase) => (c.from.kind === 'node' ? c.from.name : lab.pods.find((p) => p.name === c.from.name)!.node);
  const chunks = chunked ? lab.nodes.map((n) => probed.map((_, i) => i).filter((i) => nodeOfSource(probed[i]!.check) === n.name)) : [probed.map((_, i) => i)];
  for (const items of chunks) {
    const { probes, owner } = probesFor(items.map((i) => ({ item: i, check: probed[i]!.check })));
    await runProbes(lab.fabric.netns, probes, { onResult: onResult(owner) });
    if (!chunked) continue;
    const sources = new Set(items.map((i) => probed[i]!.check.from.netns));
    await mapLimit([...sources], concurrency, (netns) => flushNeighbours(netns));
  }
}

/** The prober's probes for conformance cases, and which case and aspect each serves. */
function probesFor(cases: Array<{ item: number; check: ConformanceCase }>): { probes: Probe[]; owner: Array<{ item: number; aspect: number }> } {
  const probes: Probe[] = [];
  const owner: Array<{ item: number; aspect: number }> = [];
  for (const { item, check } of cases) {
    check.aspects.forEach((aspect, a) => {
      const id = probes.length;
      const base = { id, netns: check.from.netns, dst: check.to.ip, timeout: REACHABLE_TIMEOUT };
      if (aspect.kind === 'icmp') probes.push({ ...base, kind: 'icmp', count: 1 });
      else if (aspect.kind === 'nat') probes.push({ ...base, kind: 'nat', dstNetns: aspect.dstNetns });
      else if (aspect.kind === 'tcp' || aspect.kind === 'udp') probes.push({ ...base, kind: aspect.kind, port: aspect.port });
      else return;
      owner.push({ item, aspect: a });
    });
  }
  return { probes, owner };
}

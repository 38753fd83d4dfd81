import { runProbes, type Probe, type ProbeResult } from '../kernel/probe.js';
import type { Lab } from '../lab/types.js';
import { caFiles } from '../plan/tls.js';
import { echoOf, judgeHttp } from './judge-http.js';
import { REACHABLE_TIMEOUT, result } from './result.js';
import type { HttpCheck, TestResult } from './types.js';

/** Requests per endpoint in one round of a spread: round robin needs one each; a random balancer misses one of N in 8N with odds e^-8. */
const SPREAD_TRIES_PER_ENDPOINT = 8;
const SPREAD_ROUNDS = 3;

/**
 * HTTP checks, in one prober: each request sent once, its answer judged by
 * status and by what the backend echoed; a check with `everyOf` is then sent
 * again, in bounded rounds, until every endpoint has answered.
 */
export async function runHttp(
  lab: Lab,
  items: Array<{ check: HttpCheck; index: number }>,
  stateDir: string,
  record: (i: number, r: TestResult) => void,
): Promise<void> {
  if (items.length === 0) return;
  const ca = caFiles(stateDir).crt;
  const started = performance.now();
  const answers = await runProbes(
    lab.fabric.netns,
    items.map(({ check }, id) => httpProbe(id, check, ca)),
    { parallel: 16 },
  );
  for (const [id, { check, index }] of items.entries()) {
    const r = answers.get(id);
    const v = judgeHttp(check, r);
    if (v.ok && check.weights) record(index, await weigh(lab, check, ca, started));
    else if (v.ok && check.everyOf) record(index, await spread(lab, check, ca, started));
    else record(index, result(check, v.ok, v.message, started, { command: describeHttp(check, ca), output: shown(r) }));
  }
}

function httpProbe(id: number, check: HttpCheck, ca: string): Probe {
  return {
    id,
    kind: 'http',
    netns: check.from.netns,
    dst: check.to.ip,
    port: check.port,
    method: check.method,
    path: check.path,
    ...(check.host ? { host: check.host } : {}),
    headers: check.headers,
    ...(check.https ? { tls: { ca } } : {}),
    timeout: REACHABLE_TIMEOUT,
  };
}

/** load_balancing.feature: every answer as expected, and every endpoint among the answerers. */
async function spread(lab: Lab, check: HttpCheck, ca: string, started: number): Promise<TestResult> {
  const wanted = check.everyOf!;
  const seen = new Map<string, number>();
  const output: string[] = [];
  for (let round = 0; round < SPREAD_ROUNDS && wanted.some((p) => !seen.has(p)); round++) {
    const probes = Array.from({ length: wanted.length * SPREAD_TRIES_PER_ENDPOINT }, (_, id) => httpProbe(id, check, ca));
    const answers = await runProbes(lab.fabric.netns, probes, { parallel: 16 });
    for (const r of answers.values()) {
      const v = judgeHttp(check, r);
      if (!v.ok) return result(check, false, v.message, started, { command: describeHttp(check, ca), output: [...output, ...shown(r)] });
      const pod = r.http ? (echoOf(r.http)?.pod ?? '?') : '?';
      seen.set(pod, (seen.get(pod) ?? 0) + 1);
    }
    output.push(`round ${round + 1}: ${probes.length} requests, answered by ${[...seen].map(([p, n]) => `${p} ×${n}`).join(', ')}`);
  }
  const missing = wanted.filter((p) => !seen.has(p));
  const message =
    missing.length === 0
      ? `every endpoint answered (${wanted.length}: ${wanted.join(', ')})`
      : `${missing.join(', ')} never answered in ${SPREAD_ROUNDS} rounds of ${wanted.length * SPREAD_TRIES_PER_ENDPOINT} requests`;
  return result(check, missing.length === 0, message, started, { command: describeHttp(check, ca), output });
}

/** HTTPRouteWeight (conformance/utils/weight): requests per try, tolerance, tries. */
const WEIGHT_REQUESTS = 500;
const WEIGHT_TOLERANCE = 0.05;
const WEIGHT_TRIES = 10;

/**
 * A weighted split proved as the conformance suite proves it: 500 requests,
 * each backend's share within 5 points of weight/total, a weight of 0 never
 * answering; the split is random per request, so up to 10 tries.
 */
async function weigh(lab: Lab, check: HttpCheck, ca: string, started: number): Promise<TestResult> {
  const weights = check.weights!;
  const total = weights.reduce((s, w) => s + w.weight, 0);
  const output: string[] = [];
  for (let attempt = 1; attempt <= WEIGHT_TRIES; attempt++) {
    const probes = Array.from({ length: WEIGHT_REQUESTS }, (_, id) => httpProbe(id, check, ca));
    const counts = new Map(weights.map((w) => [w.label, 0]));
    let other = 0;
    for (const r of (await runProbes(lab.fabric.netns, probes, { parallel: 10 })).values()) {
      const pod = r.http ? echoOf(r.http)?.pod : undefined;
      const w = weights.find((x) => pod !== undefined && x.pods.includes(pod));
      if (w) counts.set(w.label, counts.get(w.label)! + 1);
      else other++;
    }
    const shares = weights.map((w) => ({ ...w, share: counts.get(w.label)! / WEIGHT_REQUESTS, want: total === 0 ? 0 : w.weight / total }));
    output.push(
      `try ${attempt}: ${shares.map((s) => `${s.label} ${(s.share * 100).toFixed(1)}% (weight ${(s.want * 100).toFixed(1)}%)`).join(', ')}${other ? `, ${other} answered by no listed backend` : ''}`,
    );
    const ok = other === 0 && shares.every((s) => (s.weight === 0 ? s.share === 0 : Math.abs(s.share - s.want) <= WEIGHT_TOLERANCE));
    if (ok)
      return result(
        check,
        true,
        `the split matches the weights within ${WEIGHT_TOLERANCE * 100} points (try ${attempt}): ${output.at(-1)!.replace(/^try \d+: /, '')}`,
        started,
        { command: describeHttp(check, ca), output },
      );
  }
  return result(check, false, `the split is off the weights in ${WEIGHT_TRIES} tries of ${WEIGHT_REQUESTS} requests`, started, {
    command: describeHttp(check, ca),
    output,
  });
}

/** The answer as curl -i would show it, the body cut short. */
function shown(r: ProbeResult | undefined): string[] {
  const a = r?.http;
  if (!a) return r?.error ? [`error: ${r.error}`] : [];
  return [`HTTP ${a.status}`, ...Object.entries(a.headers).map(([k, x]) => `${k}: ${x}`), '', ...a.body.split('\n').slice(0, 20)];
}

/** The request as curl would send it from the source's namespace. */
function describeHttp(check: HttpCheck, ca: string): string {
  const headers = [...(check.host ? [['Host', check.host]] : []), ...check.headers].map(([n, v]) => ` -H '${n}: ${v}'`).join('');
  if (check.https) {
    const name = check.host ?? check.to.ip;
    return `ip netns exec ${check.from.netns} curl -si --cacert ${ca} --resolve ${name}:${check.port}:${check.to.ip} -X ${check.method}${check.headers.map(([n, v]) => ` -H '${n}: ${v}'`).join('')} 'https://${name}:${check.port}${check.path}'`;
  }
  return `ip netns exec ${check.from.netns} curl -si -X ${check.method}${headers} 'http://${check.to.ip}:${check.port}${check.path}'`;
}

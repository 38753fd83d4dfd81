import { runProbes, type Probe } from '../kernel/probe.js';
import type { Lab } from '../lab/types.js';
import { judgeHttp } from './judge-http.js';
import { REACHABLE_TIMEOUT, result } from './result.js';
import type { HttpCheck, TestResult } from './types.js';

/** HTTP checks, in one prober: each request sent once, its answer judged by status and by what the backend echoed. */
export async function runHttp(lab: Lab, items: Array<{ check: HttpCheck; index: number }>, record: (i: number, r: TestResult) => void): Promise<void> {
  if (items.length === 0) return;
  const started = performance.now();
  const probes: Probe[] = items.map(({ check }, id) => ({
    id,
    kind: 'http',
    netns: check.from.netns,
    dst: check.to.ip,
    port: check.port,
    method: check.method,
    path: check.path,
    ...(check.host ? { host: check.host } : {}),
    headers: check.headers,
    timeout: REACHABLE_TIMEOUT,
  }));
  const answers = await runProbes(lab.fabric.netns, probes, { parallel: 16 });
  items.forEach(({ check, index }, id) => {
    const r = answers.get(id);
    const v = judgeHttp(check, r);
    const a = r?.http;
    const output = a ? [`HTTP ${a.status}`, ...Object.entries(a.headers).map(([k, x]) => `${k}: ${x}`), '', ...a.body.split('\n').slice(0, 20)] : [];
    record(index, result(check, v.ok, v.message, started, { command: describeHttp(check), output }));
  });
}

/** The request as curl would send it from the source's namespace. */
function describeHttp(check: HttpCheck): string {
  const headers = [...(check.host ? [['Host', check.host]] : []), ...check.headers].map(([n, v]) => ` -H '${n}: ${v}'`).join('');
  return `ip netns exec ${check.from.netns} curl -si -X ${check.method}${headers} 'http://${check.to.ip}:${check.port}${check.path}'`;
}

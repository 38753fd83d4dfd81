/**
 * npm run bench:limits: for each limit on what a lab may cost (src/lab/limits.ts),
 * the largest lab it allows, planned (`netlab plan`, the rulesets of every
 * node rendered), with its wall time and peak memory; and one past the limit,
 * refused. These are the figures README.md's "Limits" table states. Needs no
 * root: nothing is built. Not a test: timings vary with the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MAX_KUBE_PROXY_CHAINS, MAX_MATRIX_CELLS, MAX_POLICY_ADDRESSES } from '../src/lab/limits.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-limits-'));

interface Measured {
  seconds: number;
  code: number;
  maxrssKB: number;
  stderr: string;
}

function measure(args: string[]): Measured {
  const out = execFileSync('python3', ['bench/measure.py', process.execPath, 'bin/netlab.js', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as Measured;
}

const base = (name: string, nodes: number, pods: number) => ({
  name,
  network: { underlay: { cidr: '192.168.16.0/22' }, podCIDR: '10.240.0.0/12' },
  nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}` })),
  pods: [{ name: 'p', replicas: pods, labels: { app: 'all' }, containers: [{ name: 'c', listen: ['80/tcp'] }] }],
});

/** (ports + endpoints) × nodes: 10 nodes, 1,000 pods, Services of one port over all of them. */
function kubeProxy(services: number) {
  return {
    ...base('limit-kube-proxy', 10, 1000),
    services: Array.from({ length: services }, (_, i) => ({ name: `s${i}`, selector: { app: 'all' }, ports: [{ port: 80 }] })),
  };
}

/** One policy over every pod, its ingress rules each naming every pod: pods × pods × rules addresses. */
function policy(pods: number, rules: number) {
  const rule = { from: [{ podSelector: {} }], ports: [{ port: 80 }] };
  return { ...base('limit-policy', 10, pods), policies: [{ name: 'all', spec: { podSelector: {}, ingress: Array.from({ length: rules }, () => rule) } }] };
}

/** A matrix of every pod to every pod on one port. */
function matrix(pods: number) {
  return { ...base('limit-matrix', 2, pods), tests: [{ policyMatrix: { ports: [80] } }] };
}

const cases: Array<{ limit: string; value: number; allowed: object; past: object }> = [
  // 24 Services × (1 + 1,000) × 10 nodes = 240,240; 25 make 250,250.
  { limit: 'kube-proxy chains', value: MAX_KUBE_PROXY_CHAINS, allowed: kubeProxy(24), past: kubeProxy(25) },
  // 1,000 pods × 1,000 addresses × 4 rules = 4,000,000; 5 rules are past it.
  { limit: 'NetworkPolicy addresses', value: MAX_POLICY_ADDRESSES, allowed: policy(1000, 4), past: policy(1000, 5) },
  // 141 × 140 = 19,740 cells; 142 × 141 = 20,022.
  { limit: 'policy matrix cells', value: MAX_MATRIX_CELLS, allowed: matrix(141), past: matrix(142) },
];

try {
  const rows: string[] = [];
  for (const c of cases) {
    const allowedFile = join(dir, 'allowed.yaml');
    const pastFile = join(dir, 'past.yaml');
    writeFileSync(allowedFile, stringify(c.allowed));
    writeFileSync(pastFile, stringify(c.past));
    const plan = measure(['plan', allowedFile]);
    const refused = measure(['validate', pastFile]);
    if (plan.code !== 0) throw new Error(`${c.limit}: the largest allowed lab did not plan: ${plan.stderr}`);
    if (refused.code !== 2) throw new Error(`${c.limit}: the lab past the limit was not refused`);
    rows.push(
      `${c.limit} (limit ${c.value.toLocaleString('en-US')}): largest allowed lab plans in ${plan.seconds.toFixed(2)} s, ${Math.round(plan.maxrssKB / 1024)} MB; one past it is refused in ${refused.seconds.toFixed(2)} s, ${Math.round(refused.maxrssKB / 1024)} MB`,
    );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

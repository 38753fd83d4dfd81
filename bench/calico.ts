/**
 * npm run bench:calico: a 10-node Calico lab (full mesh: 45 BGP sessions)
 * from nothing to every session Established and every block route installed,
 * beside the same pods on flannel host-gw, whose routes netlab writes itself.
 * The difference is what a real control plane costs; the converge wave is
 * the time from the last BIRD started to the last route installed.
 * Not a test: timings vary with the machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NODES = 10;
const PODS = 100;
const work = mkdtempSync(join(tmpdir(), 'netlab-bench-calico-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function labFile(name: string, backend: 'calico' | 'host-gw'): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      name,
      network: { backend },
      nodes: Array.from({ length: NODES }, (_, i) => ({ name: `node${i + 1}` })),
      pods: [{ name: 'p', replicas: PODS, containers: [{ name: 'app', listen: ['80/tcp'] }] }],
    }),
  );
  return file;
}

/** Seconds `up` took, and its converge wave's (NETLAB_PROFILE) when there is one. */
function up(file: string): { total: number; converge: number | undefined } {
  const started = performance.now();
  const r = spawnSync('node', ['bin/netlab.js', 'up', file], { env: { ...process.env, CI: 'true', NETLAB_PROFILE: '1' }, encoding: 'utf8' });
  const total = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`up ${file} failed: ${r.stderr}`);
  const m = /^profile converge: .*? (\d+) ms/m.exec(r.stderr);
  return { total, converge: m ? Number(m[1]) / 1000 : undefined };
}

function down(lab: string): number {
  const started = performance.now();
  execFileSync('node', ['bin/netlab.js', 'down', lab], { stdio: 'ignore' });
  return (performance.now() - started) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const calico = labFile('bench-calico', 'calico');
const hostGw = labFile('bench-calico-hgw', 'host-gw');
const t = { calico: [] as number[], converge: [] as number[], hostGw: [] as number[], down: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  const c = up(calico);
  t.calico.push(c.total);
  if (c.converge !== undefined) t.converge.push(c.converge);
  t.down.push(down('bench-calico'));
  t.hostGw.push(up(hostGw).total);
  down('bench-calico-hgw');
}
process.stdout.write(
  [
    `Calico, ${NODES} nodes (full mesh, ${(NODES * (NODES - 1)) / 2} BGP sessions), ${PODS} pods; medians of ${RUNS} runs`,
    `  netlab up, every session Established:   ${median(t.calico).toFixed(2)} s`,
    `    of which waiting for BGP (converge):  ${t.converge.length ? median(t.converge).toFixed(2) : '?'} s`,
    `  the same pods on flannel host-gw:       ${median(t.hostGw).toFixed(2)} s`,
    `  netlab down (10 BIRDs stopped):         ${median(t.down).toFixed(2)} s`,
    '',
  ].join('\n'),
);

/**
 * npm run bench:policies: the upstream model's full policy matrix (x, y, z ×
 * a, b, c; ports 80 and 81; TCP and UDP: 288 cells), probed on a running lab
 * and compared with the oracle. Not a test: timings vary with the machine.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LAB = 'bench-netpol';

function seconds(argv: string[]): number {
  const started = performance.now();
  execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - started) / 1000;
}

const file = '/tmp/bench-netpol.yaml';
execFileSync('sh', ['-c', `sed 's/^name: .*/name: ${LAB}/' labs/netpol-egress.yaml > ${file}`]);
const up = seconds(['node', 'bin/netlab.js', 'up', file]);
const runs: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) runs.push(seconds(['node', 'bin/netlab.js', 'test', file]));
} finally {
  seconds(['node', 'bin/netlab.js', 'down', LAB]);
  rmSync(file, { force: true });
}
runs.sort((a, b) => a - b);
process.stdout.write(
  `policy matrix of the upstream model (288 cells), labs/netpol-egress.yaml: up ${up.toFixed(2)} s; netlab test median ${runs[Math.floor(runs.length / 2)]!.toFixed(2)} s (min ${runs[0]!.toFixed(2)}, max ${runs.at(-1)!.toFixed(2)}, ${RUNS} runs)\n`,
);

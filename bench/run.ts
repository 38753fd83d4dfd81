/**
 * npm run bench: netlab beside a plain iproute2 batch script (the floor) and
 * Mininet, on the same machine in the same run. Several runs per case; the
 * median and the spread (min–max) go to a table on stdout and to JSON under
 * bench/results/. Not a test: timings vary with the machine.
 *
 * BENCH_RUNS (default 3) sets the runs per case; BENCH_SIZES (e.g. "10,100")
 * the VXLAN pod counts; BENCH_MININET=0 skips Mininet.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadLabText } from '../src/lab/index.js';
import { planLab } from '../src/plan/index.js';
import { floorDownScript, floorScript } from './floor.js';

interface Sample {
  seconds: number;
  code: number;
  maxrssKB: number;
  stderr: string;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '10,100,500,1000').split(',').map(Number);
/** Past this size a full conformance mesh (n² pairs) is not a benchmark but a soak. */
const MAX_MESH = 100;
const MININET_MAX = 500;
const MININET_NETNS = 'netlab.bench.mininet';
const work = mkdtempSync(join(tmpdir(), 'netlab-bench-'));

function measure(argv: string[]): Sample {
  const out = execFileSync('python3', ['bench/measure.py', ...argv], { encoding: 'utf8' });
  return JSON.parse(out) as Sample;
}

function mustPass(what: string, s: Sample): Sample {
  if (s.code !== 0) throw new Error(`${what} failed (exit ${s.code}): ${s.stderr}`);
  return s;
}

function labFile(name: string, pods: number, backend: 'vxlan' | 'host-gw', mesh: boolean): string {
  const lab = {
    name,
    network: { backend },
    nodes: Array.from({ length: 10 }, (_, i) => ({ name: `node${i + 1}` })),
    pods: [{ name: 'pod', replicas: pods, containers: [{ name: 'app', listen: ['80/tcp'] }] }],
    ...(mesh ? { tests: [{ conformance: {} }] } : {}),
  };
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify(lab));
  return file;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Row {
  case: string;
  what: string;
  runs: number[];
  median: number;
  min: number;
  max: number;
  peakRssMB?: number;
}

const rows: Row[] = [];
function record(caseName: string, what: string, samples: Sample[]): Row {
  const runs = samples.map((s) => s.seconds);
  const row: Row = { case: caseName, what, runs, median: median(runs), min: Math.min(...runs), max: Math.max(...runs) };
  if (what.startsWith('netlab')) row.peakRssMB = Math.max(...samples.map((s) => s.maxrssKB)) / 1024;
  rows.push(row);
  process.stderr.write(`  ${caseName.padEnd(18)} ${what.padEnd(22)} median ${row.median.toFixed(3)} s\n`);
  return row;
}

function netlabCase(caseName: string, pods: number, backend: 'vxlan' | 'host-gw'): void {
  const name = `bench-${backend === 'vxlan' ? 'vx' : 'gw'}-${pods}`;
  const mesh = pods <= MAX_MESH;
  const file = labFile(name, pods, backend, mesh);
  const ups: Sample[] = [];
  const downs: Sample[] = [];
  const tests: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    ups.push(mustPass(`netlab up ${name}`, measure(['node', 'bin/netlab.js', 'up', file])));
    if (mesh) tests.push(mustPass(`netlab test ${name}`, measure(['node', 'bin/netlab.js', 'test', file])));
    downs.push(mustPass(`netlab down ${name}`, measure(['node', 'bin/netlab.js', 'down', name])));
  }
  record(caseName, 'netlab up', ups);
  if (mesh) record(caseName, `netlab test (mesh ${pods * (pods - 1)} pairs)`, tests);
  record(caseName, 'netlab down', downs);

  const lab = loadLabText(file, execFileSync('cat', [file], { encoding: 'utf8' }));
  if (!lab.ok) throw new Error(`bench lab ${name} is invalid`);
  const plan = planLab(lab.lab, { stateDir: join(work, name) });
  const upScript = join(work, `${name}-floor-up.sh`);
  const downScript = join(work, `${name}-floor-down.sh`);
  writeFileSync(upScript, floorScript(plan));
  writeFileSync(downScript, floorDownScript(plan));
  const floorUps: Sample[] = [];
  const floorDowns: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    floorUps.push(mustPass(`floor up ${name}`, measure(['bash', upScript])));
    floorDowns.push(mustPass(`floor down ${name}`, measure(['bash', downScript])));
  }
  record(caseName, 'iproute2 script up', floorUps);
  record(caseName, 'iproute2 script down', floorDowns);
}

function mininetCase(caseName: string, hosts: number): void {
  const samples: Sample[] = [];
  // Mininet builds its switch and veths in the namespace it runs in: a namespace of its own, never the host's.
  // A leftover of an interrupted bench is ours (the netlab. prefix): start clean.
  if (existsSync(`/run/netns/${MININET_NETNS}`)) execFileSync('ip', ['netns', 'delete', MININET_NETNS]);
  execFileSync('ip', ['netns', 'add', MININET_NETNS]);
  try {
    execFileSync('ip', ['-n', MININET_NETNS, 'link', 'set', 'lo', 'up']);
    for (let i = 0; i < RUNS; i++) {
      samples.push(
        mustPass(
          `mininet ${hosts}`,
          measure(['ip', 'netns', 'exec', MININET_NETNS, 'mn', '--switch', 'lxbr', '--controller', 'none', '--topo', `single,${hosts}`, '--test', 'none']),
        ),
      );
    }
  } finally {
    execFileSync('ip', ['netns', 'delete', MININET_NETNS]);
  }
  record(caseName, 'mininet up+down', samples);
}

function table(): string {
  const header = ['case', 'what', 'median s', 'min–max s', 'peak RSS MB'];
  const body = rows.map((r) => [r.case, r.what, r.median.toFixed(3), `${r.min.toFixed(3)}–${r.max.toFixed(3)}`, r.peakRssMB ? r.peakRssMB.toFixed(0) : '']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function ratios(): string[] {
  const find = (c: string, w: string) => rows.find((r) => r.case === c && r.what === w)?.median;
  const out: string[] = [];
  for (const size of SIZES) {
    const c = `vxlan ${size} pods`;
    const up = find(c, 'netlab up');
    const floor = find(c, 'iproute2 script up');
    if (up && floor) out.push(`${c}: netlab up is ${(up / floor).toFixed(2)}× the iproute2 script`);
    const mn = find(c, 'mininet up+down');
    const down = find(c, 'netlab down');
    if (up && down && mn) out.push(`${c}: netlab up+down is ${(mn / (up + down)).toFixed(1)}× faster than Mininet up+down`);
  }
  return out;
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('npm run bench needs root (it builds real namespaces)');
  const mininet = process.env.BENCH_MININET !== '0' && existsSync('/usr/bin/mn');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`;
  process.stderr.write(`netlab bench: ${RUNS} runs per case on ${machine}\n`);
  for (const size of SIZES) {
    const c = `vxlan ${size} pods`;
    netlabCase(c, size, 'vxlan');
    if (mininet && size <= MININET_MAX) mininetCase(c, size);
  }
  netlabCase('host-gw 500 pods', 500, 'host-gw');
  const summary = ratios();
  process.stdout.write(
    `\nnetlab bench, ${RUNS} runs per case, 10 nodes; ${machine}${mininet ? '' : '; Mininet not installed (apt-get install mininet) or skipped'}\n\n${table()}\n\n${summary.join('\n')}\n`,
  );
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify({ machine, runs: RUNS, rows, summary }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
}

// The scratch lab files and floor scripts are the bench's own: gone when it ends, also when a case fails.
try {
  main();
} finally {
  rmSync(work, { recursive: true, force: true });
}

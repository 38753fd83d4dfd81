/**
 * npm run bench: netlab beside a plain iproute2 batch script (the floor) and
 * Mininet, on the same machine in the same run. Several runs per case; the
 * median and the spread (min–max) go to a table on stdout and to JSON under
 * bench/results/. Not a test: timings vary with the machine.
 *
 * BENCH_RUNS (default 3) sets the runs per case; BENCH_SIZES (e.g. "10,100")
 * the VXLAN pod counts; BENCH_MININET=0 skips Mininet.
 *
 * `npm run bench -- --large` runs the large cases instead: 2,000, 5,000 and
 * 10,000 pods (250 per node), each beside the namespace floor (`ip -batch` of
 * `netns add` for the same namespaces, then `netns delete`), with where `up`'s
 * time goes wave by wave, `status --json` and a conformance sample
 * (BENCH_SAMPLE peers per pod, default 2), `status --json --full` (every
 * namespace read) and the time of 1,000 veth pairs made in a namespace
 * beside the lab (its watcher walks its ids at every rtnetlink
 * notification on the host) and on the idle host.
 * BENCH_LARGE_SIZES and BENCH_LARGE_RUNS (default 1) change them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadLabText } from '../src/lab/index.js';
import { planLab } from '../src/plan/index.js';
import { floorDownScript, floorScript } from './floor.js';
import { waitUntilQuiet } from './quiet.js';

interface Sample {
  seconds: number;
  code: number;
  maxrssKB: number;
  stderr: string;
  /** The last lines the command printed (a test's failures and verdict). */
  tail: string[];
  /** What NETLAB_PROFILE=1 made it print: a line per wave of `up`. */
  profile: string[];
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '10,100,500,1000').split(',').map(Number);
/** Past this size a full conformance mesh (n² pairs) is not a benchmark but a soak. */
const MAX_MESH = 100;
const MININET_MAX = 500;
const MININET_NETNS = 'netlab.bench.mininet';
const work = mkdtempSync(join(tmpdir(), 'netlab-bench-'));

function measure(argv: string[], env: Record<string, string> = {}): Sample {
  const out = execFileSync('python3', ['bench/measure.py', ...argv], { encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(out) as Sample;
}

/** `up`'s waves and their seconds, from its NETLAB_PROFILE lines ("profile links: 41 jobs in 4310 ms; …"). */
function wavesOf(s: Sample): Map<string, number> {
  const waves = new Map<string, number>();
  for (const line of s.profile) {
    const m = /^profile (\S+): \d+ jobs in (\d+) ms/.exec(line);
    if (m) waves.set(m[1]!, Number(m[2]) / 1000);
  }
  return waves;
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

/** Pods per node in the large cases: a real node's default maximum is 110; 250 keeps the node count sane. */
const LARGE_PODS_PER_NODE = 250;

function largeLabFile(name: string, pods: number, sample: number): string {
  const lab = {
    name,
    nodes: Array.from({ length: Math.ceil(pods / LARGE_PODS_PER_NODE) }, (_, i) => ({ name: `node${i + 1}` })),
    pods: [{ name: 'pod', replicas: pods, containers: [{ name: 'app', listen: ['80/tcp'] }] }],
    tests: [{ conformance: { sample } }],
  };
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify(lab));
  return file;
}

/**
 * One large case: netlab's up (and where its time goes, wave by wave),
 * status, sampled conformance and down, and the floor of its namespaces
 * alone. Each is measured on an idle machine: the kernel frees the
 * namespaces of the step before in the background.
 */
function largeCase(pods: number, runs: number, sample: number): void {
  const name = `bench-large-${pods}`;
  const caseName = `vxlan ${pods} pods`;
  const file = largeLabFile(name, pods, sample);
  const namespaces = 1 + Math.ceil(pods / LARGE_PODS_PER_NODE) + pods;
  const add = join(work, `${name}-netns-add.txt`);
  const del = join(work, `${name}-netns-del.txt`);
  writeFileSync(add, `${Array.from({ length: namespaces }, (_, i) => `netns add netlab.bench-floor.n${i}`).join('\n')}\n`);
  writeFileSync(del, `${Array.from({ length: namespaces }, (_, i) => `netns delete netlab.bench-floor.n${i}`).join('\n')}\n`);
  const s = {
    up: [] as Sample[],
    status: [] as Sample[],
    statusFull: [] as Sample[],
    taxed: [] as Sample[],
    untaxed: [] as Sample[],
    test: [] as Sample[],
    down: [] as Sample[],
    floorUp: [] as Sample[],
    floorDown: [] as Sample[],
  };
  const failures: string[] = [];
  for (let i = 0; i < runs; i++) {
    waitUntilQuiet();
    s.floorUp.push(mustPass('floor netns add', measure(['ip', '-batch', add])));
    s.floorDown.push(mustPass('floor netns delete', measure(['ip', '-force', '-batch', del])));
    try {
      waitUntilQuiet();
      s.up.push(mustPass(`netlab up ${name}`, measure(['node', 'bin/netlab.js', 'up', file], { NETLAB_PROFILE: '1' })));
      s.status.push(mustPass(`netlab status ${name}`, measure(['node', 'bin/netlab.js', 'status', name, '--json'])));
      // Every namespace read, as without the watcher.
      s.statusFull.push(mustPass(`netlab status ${name} --full`, measure(['node', 'bin/netlab.js', 'status', name, '--json', '--full'])));
      // What the watcher costs others: every rtnetlink notification on the host walks its ids.
      s.taxed.push(vethsBeside());
      // The sample's verdict is part of the result: a failed case is reported, not hidden by a crash of the bench.
      const test = measure(['node', 'bin/netlab.js', 'test', file]);
      s.test.push(test);
      if (test.code !== 0) failures.push(`netlab test ${name} exited ${test.code}:\n    ${test.tail.join('\n    ')}`);
      else process.stderr.write(`  ${test.tail.at(-1) ?? ''}\n`);
    } finally {
      waitUntilQuiet();
      s.down.push(mustPass(`netlab down ${name}`, measure(['node', 'bin/netlab.js', 'down', name])));
    }
    waitUntilQuiet();
    s.untaxed.push(vethsBeside());
  }
  for (const f of failures) process.stderr.write(`  ! ${f}\n`);
  record(caseName, `namespace floor: ip -batch netns add ×${namespaces}`, s.floorUp);
  const up = record(caseName, 'netlab up', s.up);
  // Where up's time went, in its median run: each wave, and the rest (loading, planning, checks, state).
  const median = s.up.find((x) => x.seconds === up.median) ?? s.up[0]!;
  const waves = wavesOf(median);
  for (const [wave, seconds] of waves) record(caseName, `  up: ${wave}`, [{ ...median, seconds }]);
  record(caseName, '  up: load, plan, state', [{ ...median, seconds: median.seconds - [...waves.values()].reduce((a, b) => a + b, 0) }]);
  record(caseName, 'netlab status --json', s.status);
  record(caseName, 'netlab status --json --full', s.statusFull);
  record(caseName, `${TAX_VETHS} veth pairs made beside the lab (its watcher up)`, s.taxed);
  record(caseName, `${TAX_VETHS} veth pairs made on an idle host`, s.untaxed);
  record(caseName, `netlab test (sample ${sample}: ${pods * sample} pairs)`, s.test);
  record(caseName, `namespace floor: netns delete ×${namespaces}`, s.floorDown);
  record(caseName, 'netlab down', s.down);
}

/** Veth pairs made in a namespace of the bench's own to time the host's rtnetlink beside a lab. */
const TAX_VETHS = 1000;
const TAX_NETNS = 'netlab.bench-tax.veths';

/** `ip -batch` of TAX_VETHS veth pairs in a namespace made for it, timed; the namespace is removed after. */
function vethsBeside(): Sample {
  const file = join(work, 'tax-veths.txt');
  writeFileSync(file, `${Array.from({ length: TAX_VETHS }, (_, i) => `link add v${i} type veth peer name p${i}`).join('\n')}\n`);
  execFileSync('ip', ['netns', 'add', TAX_NETNS]);
  try {
    return mustPass('veth pairs beside the lab', measure(['ip', '-n', TAX_NETNS, '-batch', file]));
  } finally {
    execFileSync('ip', ['netns', 'delete', TAX_NETNS]);
  }
}

function largeRatios(sizes: number[]): string[] {
  const find = (c: string, w: string) => rows.find((r) => r.case === c && r.what.startsWith(w))?.median;
  return sizes.flatMap((size) => {
    const c = `vxlan ${size} pods`;
    const up = find(c, 'netlab up');
    const floorUp = find(c, 'namespace floor: ip -batch netns add');
    const down = find(c, 'netlab down');
    const floorDown = find(c, 'namespace floor: netns delete');
    if (!up || !floorUp || !down || !floorDown) return [];
    return [`${c}: up ${(up / floorUp).toFixed(2)}× the namespace floor (goal 2×), down ${(down / floorDown).toFixed(2)}× (goal 1.5×)`];
  });
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
  if (process.argv.includes('--large')) return mainLarge();
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

function mainLarge(): void {
  const sizes = (process.env.BENCH_LARGE_SIZES ?? '2000,5000,10000').split(',').map(Number);
  const runs = Number(process.env.BENCH_LARGE_RUNS ?? 1);
  const sample = Number(process.env.BENCH_SAMPLE ?? 2);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`;
  process.stderr.write(`netlab bench --large: ${runs} run(s) per case on ${machine}\n`);
  for (const size of sizes) largeCase(size, runs, sample);
  const summary = largeRatios(sizes);
  process.stdout.write(
    `\nnetlab bench --large, ${runs} run(s) per case, ${LARGE_PODS_PER_NODE} pods per node; ${machine}\n\n${table()}\n\n${summary.join('\n')}\n`,
  );
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/large-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify({ machine, runs, rows, summary }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
}

// The scratch lab files and floor scripts are the bench's own: gone when it ends, also when a case fails.
try {
  main();
} finally {
  rmSync(work, { recursive: true, force: true });
}

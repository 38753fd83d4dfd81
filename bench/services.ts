import { renderNft } from '../src/plan/nft-ruleset.js';
/**
 * npm run bench:services: what 1,000 Services of 5 endpoints each over 10
 * nodes add to `up`, beside the same rules loaded by a plain `nft -f` per
 * node (the floor: kube-proxy's own transaction, nothing else). The lab with
 * Services and the same lab without them are built and removed in turn.
 * Not a test: timings vary with the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadLabText } from '../src/lab/index.js';
import { nftablesRuleset } from '../src/plan/kube-proxy/nftables.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NODES = 10;
const GROUPS = 100;
const PODS_PER_GROUP = 5;
const SERVICES = 1000;
const work = mkdtempSync(join(tmpdir(), 'netlab-bench-svc-'));

function labText(name: string, services: boolean): string {
  return stringify({
    name,
    nodes: Array.from({ length: NODES }, (_, i) => ({ name: `node${i + 1}` })),
    pods: Array.from({ length: GROUPS }, (_, g) => ({
      name: `g${g}`,
      replicas: PODS_PER_GROUP,
      labels: { group: `g${g}` },
      containers: [{ name: 'app', listen: ['80/tcp'] }],
    })),
    ...(services
      ? { services: Array.from({ length: SERVICES }, (_, i) => ({ name: `svc${i}`, selector: { group: `g${i % GROUPS}` }, ports: [{ port: 80 }] })) }
      : {}),
  });
}

function seconds(argv: string[]): number {
  const started = performance.now();
  execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - started) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

// The scratch lab files are the bench's own: removed when it exits, also on a failure.
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const withFile = join(work, 'bench-svc.yaml');
const withoutFile = join(work, 'bench-nosvc.yaml');
writeFileSync(withFile, labText('bench-svc', true));
writeFileSync(withoutFile, labText('bench-nosvc', false));

const up = { with: [] as number[], without: [] as number[], floor: [] as number[] };
const loaded = loadLabText(withFile, labText('bench-svc', true));
if (!loaded.ok) throw new Error('the bench lab is invalid');
const rulesets = loaded.lab.nodes.map((n) => renderNft(nftablesRuleset(loaded.lab, n)));
const floorNetns = Array.from({ length: NODES }, (_, i) => `netlab.bench-nftfloor.node.n${i}`);
for (let i = 0; i < RUNS; i++) {
  up.with.push(seconds(['node', 'bin/netlab.js', 'up', withFile]));
  seconds(['node', 'bin/netlab.js', 'down', 'bench-svc']);
  up.without.push(seconds(['node', 'bin/netlab.js', 'up', withoutFile]));
  seconds(['node', 'bin/netlab.js', 'down', 'bench-nosvc']);
  // The floor: the same ten tables, each one `nft -f` in a fresh namespace of the bench's own.
  for (const ns of floorNetns) execFileSync('ip', ['netns', 'add', ns]);
  const started = performance.now();
  rulesets.forEach((r, n) => execFileSync('ip', ['netns', 'exec', floorNetns[n]!, 'nft', '-f', '-'], { input: r }));
  up.floor.push((performance.now() - started) / 1000);
  for (const ns of floorNetns) execFileSync('ip', ['netns', 'delete', ns]);
}
const rules = rulesets[0]!.split('\n').filter((l) => l.startsWith('add ')).length;
process.stdout.write(
  [
    `${SERVICES} Services × ${PODS_PER_GROUP} endpoints, ${GROUPS * PODS_PER_GROUP} pods on ${NODES} nodes; ${rules} nft commands per node; medians of ${RUNS} runs`,
    `  netlab up, with the Services:      ${median(up.with).toFixed(2)} s`,
    `  netlab up, the same lab without:   ${median(up.without).toFixed(2)} s`,
    `  what the Services add to up:       ${(median(up.with) - median(up.without)).toFixed(2)} s`,
    `  plain nft -f of the same 10 tables: ${median(up.floor).toFixed(2)} s (sequential; netlab loads them in parallel)`,
    '',
  ].join('\n'),
);

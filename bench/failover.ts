/**
 * npm run bench:failover: how long MetalLB L2 takes to move an address in a
 * lab. labs/loadbalancer-l2.yaml (as `bench-lb`) is brought up; the outside
 * client learns web's address from node3; node3 is unplugged; the time until
 * the client's neighbour entry names node2 (learned from node2's gratuitous
 * ARP, nobody asking) is the failover. Then plugged back, the time until it
 * names node3 again. Polled every 10 ms. Not a test: timings vary with the
 * machine. MetalLB's own (memberlist) takes a few seconds; netlab's speakers
 * count a peer dead after 1 s of silence.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LAB = 'bench-lb';
const IP = '192.168.19.240';
const ext = `netlab.${LAB}.external`;
const work = mkdtempSync(join(tmpdir(), 'netlab-bench-lb-'));
const file = join(work, `${LAB}.yaml`);
writeFileSync(file, readFileSync('labs/loadbalancer-l2.yaml', 'utf8').replace(/^name: .*$/m, `name: ${LAB}`));
process.on('exit', () => {
  spawnSync('node', ['bin/netlab.js', 'down', LAB]);
  rmSync(work, { recursive: true, force: true });
});

const netlab = (...args: string[]) => execFileSync('node', ['bin/netlab.js', ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
const macOf = (node: string) =>
  (
    JSON.parse(execFileSync('ip', ['-j', '-n', `netlab.${LAB}.node.${node}`, 'link', 'show', 'dev', 'eth0'], { encoding: 'utf8' })) as Array<{
      address: string;
    }>
  )[0]!.address;
const entry = () =>
  (JSON.parse(execFileSync('ip', ['-j', '-n', ext, 'neigh', 'show', 'to', IP], { encoding: 'utf8' }) || '[]') as Array<{ lladdr?: string }>)[0]?.lladdr;

function until(mac: string): number {
  const started = performance.now();
  while (entry() !== mac) {
    if (performance.now() - started > 15_000) throw new Error(`the client never learned ${mac} for ${IP}`);
    execFileSync('sleep', ['0.01']);
  }
  return (performance.now() - started) / 1000;
}

netlab('up', file);
const [node2, node3] = [macOf('node2'), macOf('node3')];
const away: number[] = [];
const back: number[] = [];
for (let i = 0; i < RUNS; i++) {
  spawnSync('ip', ['netns', 'exec', ext, 'ping', '-c', '1', '-W', '1', IP]);
  until(node3);
  netlab('node', LAB, 'node3', 'down');
  away.push(until(node2));
  netlab('node', LAB, 'node3', 'up');
  back.push(until(node3));
}
const fmt = (xs: number[]) =>
  `median ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2)} s (runs: ${xs.map((x) => x.toFixed(2)).join(', ')})`;
console.log(`L2 failover of ${IP}, node3 unplugged → client follows node2's gratuitous ARP: ${fmt(away)}`);
console.log(`node3 plugged back → client follows node3's re-announcement: ${fmt(back)}`);

/**
 * Why src/kernel/run.ts spawns with node's child_process and not execa:
 * `npm run bench:spawn` measures what each costs on this machine. On the
 * project's 2-core Debian 12 machine (2026-11-25): importing execa 94 ms (paid
 * by every netlab command that runs anything), and 2.8 ms against 1.6 ms per
 * run of `true`; `up` of a big lab runs hundreds of short commands.
 */
import { spawn } from 'node:child_process';

const RUNS = 300;

function runSpawn(): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('true', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    child.on('close', () => resolve());
  });
}

async function perRun(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) await run();
  return (performance.now() - started) / RUNS;
}

const started = performance.now();
const { execa } = await import('execa');
const importMs = performance.now() - started;
await perRun(runSpawn); // warm up
const spawnMs = await perRun(runSpawn);
const execaMs = await perRun(() => execa('true', [], { reject: false }));
process.stdout.write(
  `import execa: ${importMs.toFixed(1)} ms\nper run of \`true\` (${RUNS} runs): node spawn ${spawnMs.toFixed(2)} ms, execa ${execaMs.toFixed(2)} ms\n`,
);

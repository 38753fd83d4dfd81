import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, rootFingerprint } from '../helpers/kernel.js';

/**
 * Around the whole integration suite: the host's root network namespace must
 * be the same after as before, and no namespace of a test lab may remain.
 */
export default async function setup() {
  if (!isRoot) return undefined;
  const before = await rootFingerprint();
  const started = Date.now();
  return async () => {
    removeTemporaryLabFiles(started);
    const after = await rootFingerprint();
    const left = readdirSafe('/run/netns').filter((n) => n.startsWith('netlab.it-'));
    const state = readdirSafe('/run/netlab').filter((n) => n.startsWith('it-'));
    const runtimes = runningRuntimes().filter((cmd) => cmd.includes('/run/netlab/it-'));
    const problems: string[] = [];
    if (state.length > 0) problems.push(`test lab state left under /run/netlab: ${state.join(', ')}`);
    if (runtimes.length > 0) problems.push(`container runtimes of test labs still running: ${runtimes.join('; ')}`);
    if (after !== before) problems.push(`the root network namespace changed during the suite:\nbefore: ${before}\nafter: ${after}`);
    if (left.length > 0) problems.push(`test namespaces left behind: ${left.join(', ')}`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  };
}

/** Command lines of live netlab container runtimes (zombies excluded: they have ended). */
function runningRuntimes(): string[] {
  const out: string[] = [];
  for (const pid of readdirSafe('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.charAt(stat.lastIndexOf(')') + 2) === 'Z') continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes('netlab-agent.py')) out.push(`${pid}: ${cmd.trim()}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The lab files and exercise copies the suite's tests wrote (test/helpers), once the suite is over. */
function removeTemporaryLabFiles(since: number): void {
  for (const name of readdirSafe(tmpdir()).filter((n) => n.startsWith('netlab-test-') || n.startsWith('netlab-doc-'))) {
    const path = join(tmpdir(), name);
    try {
      if (statSync(path).mtimeMs >= since) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone meanwhile
    }
  }
}

import { preflight } from '../../kernel/preflight.js';
import { printable } from '../../printable.js';
import { tearDownLab } from '../../lifecycle/teardown.js';
import { acquireLock } from '../../state/lock.js';
import { labNameOf } from '../target.js';

/** `netlab down FILE-OR-LAB`: removes everything of the lab; fine when it is not up. */
export async function down(inv: { target: string }): Promise<number> {
  const lab = await labNameOf(inv.target);
  await preflight();
  const lock = await acquireLock(lab, { onWait: (holder) => process.stderr.write(`netlab: waiting for ${holder} to finish with lab "${lab}"…\n`) });
  try {
    const started = performance.now();
    const t = await tearDownLab(lab);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (t.namespaces.length === 0) process.stdout.write(`lab "${lab}" is not up; nothing to remove\n`);
    else process.stdout.write(`lab "${lab}" is down: removed ${t.namespaces.length} namespaces and ${t.processes.length} processes in ${seconds} s\n`);
    for (const w of t.warnings) process.stderr.write(`netlab: ${printable(w)} (removed anyway)\n`);
  } finally {
    await lock.release();
  }
  return 0;
}

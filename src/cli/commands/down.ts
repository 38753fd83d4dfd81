import { downLab } from '../../lifecycle/down.js';
import { printable } from '../../printable.js';

/** `netlab down FILE-OR-LAB`: removes everything of the lab; fine when it is not up. */
export async function down(inv: { target: string }): Promise<number> {
  const r = await downLab(inv.target, (lab, holder) => process.stderr.write(`netlab: waiting for ${holder} to finish with lab "${lab}"…\n`));
  if (r.namespaces === 0) process.stdout.write(`lab "${r.lab}" is not up; nothing to remove\n`);
  else
    process.stdout.write(
      `lab "${r.lab}" is down: removed ${r.namespaces} namespaces and ${r.processes} ${r.processes === 1 ? 'process' : 'processes'} in ${r.seconds.toFixed(2)} s\n`,
    );
  for (const w of r.warnings) process.stderr.write(`netlab: ${printable(w)} (removed anyway)\n`);
  return 0;
}

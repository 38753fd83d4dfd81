import { loadLabFile } from '../../lifecycle/files.js';
import { bringUp, describeSize } from '../../lifecycle/up.js';
import { printable } from '../../printable.js';
import { listrProgress } from '../progress.js';

/** `netlab up FILE [--recreate] [--watch | --no-watch]`: builds the lab, repairs it where it differs from its plan, or says it is already up. */
export async function up(inv: { file: string; recreate: boolean; cniPaths: string[]; watch?: boolean }): Promise<number> {
  const lab = await loadLabFile(inv.file);
  const result = await bringUp(lab, {
    recreate: inv.recreate,
    ...(inv.watch === undefined ? {} : { watch: inv.watch }),
    cniPaths: inv.cniPaths,
    progress: listrProgress(),
    onWait: (holder) => process.stderr.write(`netlab: waiting for ${holder} to finish with lab "${lab.name}"…\n`),
    onWarning: (message) => process.stderr.write(`netlab: ${printable(message)}\n`),
  });
  const size = describeSize(result.state.lab);
  if (!result.changed) {
    process.stdout.write(`lab "${lab.name}" is already up (${size}); nothing to do\n`);
  } else if ('policies' in result) {
    process.stdout.write(`lab "${lab.name}" takes the file's changes in ${result.seconds.toFixed(2)} s: ${result.policies}\n`);
  } else if ('repaired' in result) {
    process.stdout.write(`lab "${lab.name}" was damaged and is repaired in ${result.seconds.toFixed(2)} s; what differed from its plan:\n`);
    for (const line of result.repaired) process.stdout.write(`  ${printable(line)}\n`);
  } else {
    process.stdout.write(`lab "${lab.name}" is up: ${size}, in ${result.seconds.toFixed(2)} s\n`);
    process.stdout.write(`  see it:    netlab status ${lab.name}\n  test it:   netlab test ${inv.file}\n  remove it: netlab down ${lab.name}\n`);
  }
  return 0;
}

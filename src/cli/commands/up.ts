import { loadLab } from '../../lab/index.js';
import { bringUp } from '../../lifecycle/up.js';
import { listrProgress } from '../progress.js';

/** `netlab up FILE [--recreate]`. */
export async function up(inv: { file: string; recreate: boolean }): Promise<number> {
  const lab = await loadLab(inv.file);
  const result = await bringUp(lab, { recreate: inv.recreate, progress: listrProgress() });
  const { nodes, pods, network } = result.state.lab;
  const backend = network.backend.kind === 'vxlan' ? `vxlan (VNI ${network.backend.vni}, UDP ${network.backend.port})` : 'host-gw';
  const size = `${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${pods.length} pod${pods.length === 1 ? '' : 's'}, ${backend}`;
  if (!result.changed) {
    process.stdout.write(`lab "${lab.name}" is already up (${size}); nothing to do\n`);
  } else {
    process.stdout.write(`lab "${lab.name}" is up: ${size}, in ${result.seconds.toFixed(2)} s\n`);
    process.stdout.write(`  see it:    netlab status ${lab.name}\n  test it:   netlab test ${inv.file}\n  remove it: netlab down ${lab.name}\n`);
  }
  return 0;
}

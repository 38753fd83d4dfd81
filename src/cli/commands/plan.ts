import { conflistFor, loadLab } from '../../lab/index.js';
import { planLab } from '../../plan/index.js';
import { planToShell } from '../../plan/shell.js';
import { AGENT_PATH, PYTHON } from '../../runtime-path.js';
import { planContext } from '../../lifecycle/drift.js';

/** `netlab plan FILE`: what `up` would do, as a runnable script (or JSON); changes nothing. */
export async function plan(inv: { file: string; json: boolean }): Promise<number> {
  const lab = await loadLab(inv.file);
  const conflist = await conflistFor(lab);
  const thePlan = planLab(lab, planContext(lab.name, conflist));
  process.stdout.write(inv.json ? `${JSON.stringify(thePlan, null, 2)}\n` : planToShell(thePlan, { agentPath: AGENT_PATH, python: PYTHON }));
  return 0;
}

import { labStatuses } from '../../lifecycle/status.js';
import { render } from '../status-view.js';
import { checkedLabName } from '../../lifecycle/target.js';

/** `netlab status [LAB] [--json] [--full]`: what is up, from the state and the kernel. */
export async function status(inv: { lab: string | undefined; json: boolean; full: boolean }): Promise<number> {
  const only = inv.lab === undefined ? undefined : checkedLabName(inv.lab);
  const labs = await labStatuses(only, { full: inv.full });
  if (inv.json) {
    const body = only
      ? (labs[0] ?? { name: only, status: 'down', nodes: [], pods: [], services: [], policies: [], strayNamespaces: [], problems: [] })
      : { labs };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  if (labs.length === 0) {
    process.stdout.write(only ? `lab "${only}" is not up\n` : 'no lab is up\n');
    return 0;
  }
  process.stdout.write(`${labs.map(render).join('\n\n')}\n`);
  return 0;
}

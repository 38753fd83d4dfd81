import { ExitCode } from '../../errors.js';
import { plugNode } from '../../lifecycle/node-plug.js';

/** `netlab node LAB NODE down|up`: unplug a node from the fabric, or plug it back. */
export async function node(inv: { lab: string; node: string; state: 'up' | 'down' }): Promise<number> {
  process.stdout.write(`${await plugNode(inv.lab, inv.node, inv.state)}\n`);
  return ExitCode.ok;
}

import { execIn } from '../../lifecycle/enter.js';

/** `netlab exec LAB NODE-OR-POD -- CMD...`: exits with the command's own code. */
export function exec(inv: { lab: string; target: string; argv: string[] }): Promise<number> {
  return execIn(inv.lab, inv.target, inv.argv);
}

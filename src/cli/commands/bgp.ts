import { birdcOn } from '../../lifecycle/enter.js';

/** `netlab bgp LAB NODE [birdc words…]`: birdc against that node's BIRD, its output as is; exits with birdc's code. */
export function bgp(inv: { lab: string; node: string; argv: string[] }): Promise<number> {
  return birdcOn(inv.lab, inv.node, inv.argv);
}

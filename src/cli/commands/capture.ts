import { captureOn } from '../../lifecycle/enter.js';

/** `netlab capture LAB NODE-OR-POD:IFACE [-- TCPDUMP-ARGS]`: tcpdump there, live; `-w FILE` passes through. */
export function capture(inv: { lab: string; where: string; args: string[] }): Promise<number> {
  return captureOn(inv.lab, inv.where, inv.args);
}

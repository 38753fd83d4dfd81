import { DIG, LAB_TOOLS, PING, TCPDUMP, type Requirement } from '../kernel/preflight.js';
import type { Check } from './types.js';

/**
 * The programs the checks run, beside the lab's own (checked by `up` from
 * its plan): each kind of check names its tool here, and `test` checks the
 * list before it builds or reads anything. Exhaustive: a new kind of check
 * must say what it runs.
 */
function toolsOf(check: Check): Requirement[] {
  switch (check.kind) {
    case 'ping':
    case 'announcer':
      return [PING];
    case 'dns':
      return [DIG];
    case 'capture':
      return [TCPDUMP, ...toolsOf(check.action)];
    // The prober (runtime/netlab-probe.py) and the plugins' CHECK run with what the lab already needs.
    case 'tcp':
    case 'udp':
    case 'conformance':
    case 'policyMatrix':
    case 'cni':
    case 'http':
      return [];
  }
}

/** Every program the checks need, each once: the lab's tools first (failures are diagnosed with ip and bridge). */
export function checkTools(checks: Check[]): Requirement[] {
  const tools = new Map(LAB_TOOLS.map((r) => [r.program, r]));
  for (const check of checks) for (const r of toolsOf(check)) tools.set(r.program, r);
  return [...tools.values()];
}

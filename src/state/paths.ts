import { join } from 'node:path';

/**
 * State lives on tmpfs like the namespaces themselves, so a reboot forgets
 * both together. NETLAB_RUN_DIR exists for tests of lost or corrupt state.
 */
export const RUN_DIR = process.env.NETLAB_RUN_DIR ?? '/run/netlab';

export function labDir(lab: string): string {
  return join(RUN_DIR, lab);
}

export function stateFile(lab: string): string {
  return join(labDir(lab), 'state.json');
}

export function lockFile(lab: string): string {
  return join(RUN_DIR, `${lab}.lock`);
}

/** A running `netlab test`'s claim on a lab: one file per reader. */
export function readerFile(lab: string, pid: number): string {
  return join(RUN_DIR, `${readerPrefix(lab)}${pid}`);
}

export function readerPrefix(lab: string): string {
  return `${lab}.lock.read.`;
}

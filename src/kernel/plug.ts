import { KernelError } from '../errors.js';
import { kernelReason } from './failure.js';
import { run } from './run.js';

/**
 * A node's cable: the fabric side of its eth0 veth, set down (unplugged: the
 * node's eth0 loses its carrier, as when a switch port dies) or up again.
 * Only the lab's fabric namespace is touched.
 */
export async function setFabricPort(fabricNetns: string, port: string, state: 'up' | 'down'): Promise<void> {
  const r = await run('ip', ['-n', fabricNetns, 'link', 'set', 'dev', port, state]);
  if (r.exitCode !== 0) throw new KernelError(`setting ${port} ${state} in ${fabricNetns} failed: ${kernelReason(r.stderr)}`);
}

/** Whether the fabric side of a node's eth0 is up (plugged). */
export async function fabricPortUp(fabricNetns: string, port: string): Promise<boolean | undefined> {
  const r = await run('ip', ['-j', '-n', fabricNetns, 'link', 'show', 'dev', port]);
  if (r.exitCode !== 0) return undefined;
  const [link] = JSON.parse(r.stdout) as Array<{ flags?: string[] }>;
  return link?.flags?.includes('UP') ?? false;
}

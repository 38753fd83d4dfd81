import { conflistFor, loadLab } from '../../lab/index.js';

/** `netlab validate FILE`: silent on success, every problem on failure (exit 2), the conflist it names included. */
export async function validate(inv: { file: string }): Promise<number> {
  await conflistFor(await loadLab(inv.file));
  return 0;
}

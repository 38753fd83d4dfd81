import { loadLab } from '../../lab/index.js';

/** `netlab validate FILE`: silent on success, every problem on failure (exit 2). */
export async function validate(inv: { file: string }): Promise<number> {
  await loadLab(inv.file);
  return 0;
}

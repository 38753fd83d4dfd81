import { validateFile } from '../../lifecycle/files.js';

/** `netlab validate FILE`: silent on success, every problem on failure (exit 2), the conflist it names included. */
export async function validate(inv: { file: string }): Promise<number> {
  await validateFile(inv.file);
  return 0;
}

import { planFile } from '../../lifecycle/files.js';

/** `netlab plan FILE`: what `up` would do, as a runnable script (or JSON); changes nothing. */
export async function plan(inv: { file: string; json: boolean }): Promise<number> {
  const { plan: thePlan, script } = await planFile(inv.file);
  process.stdout.write(inv.json ? `${JSON.stringify(thePlan, null, 2)}\n` : script());
  return 0;
}

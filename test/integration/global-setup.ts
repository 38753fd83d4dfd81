import { readdirSync } from 'node:fs';
import { isRoot, rootFingerprint } from '../helpers/kernel.js';

/**
 * Around the whole integration suite: the host's root network namespace must
 * be the same after as before, and no namespace of a test lab may remain.
 */
export default async function setup() {
  if (!isRoot) return undefined;
  const before = await rootFingerprint();
  return async () => {
    const after = await rootFingerprint();
    const left = readdirSafe('/run/netns').filter((n) => n.startsWith('netlab.it-'));
    const problems: string[] = [];
    if (after !== before) problems.push(`the root network namespace changed during the suite:\nbefore: ${before}\nafter: ${after}`);
    if (left.length > 0) problems.push(`test namespaces left behind: ${left.join(', ')}`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

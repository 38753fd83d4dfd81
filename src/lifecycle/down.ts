import { preflight } from '../kernel/preflight.js';
import { acquireLock } from '../state/lock.js';
import { tearDownLab } from './teardown.js';
import { labNameOf } from './target.js';

export interface DownResult {
  lab: string;
  namespaces: number;
  processes: number;
  seconds: number;
  /** What went wrong on the way, removed anyway. */
  warnings: string[];
}

/** Removes everything of a lab, by file or name, under its exclusive lock; fine when it is not up. */
export async function downLab(target: string, onWait?: (lab: string, holder: string) => void): Promise<DownResult> {
  const lab = await labNameOf(target);
  await preflight();
  const lock = await acquireLock(lab, onWait ? { onWait: (holder) => onWait(lab, holder) } : {});
  try {
    const started = performance.now();
    const t = await tearDownLab(lab);
    return { lab, namespaces: t.namespaces.length, processes: t.processes.length, seconds: (performance.now() - started) / 1000, warnings: t.warnings };
  } finally {
    await lock.release();
  }
}

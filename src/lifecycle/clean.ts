import { rm } from 'node:fs/promises';
import { listNetlabNetns } from '../kernel/netns.js';
import { preflight } from '../kernel/preflight.js';
import { labOfNetns } from '../lab/names.js';
import { staleLocks } from '../state/lock.js';
import { labsWithState } from '../state/store.js';
import { tearDownLab } from './teardown.js';

/** Every netlab leftover on the host, whatever state it is in: each lab torn down, stale locks removed. */
export async function cleanHost(): Promise<{ labs: number; namespaces: number; processes: number }> {
  await preflight();
  const labs = new Set<string>(await labsWithState());
  for (const ns of await listNetlabNetns()) {
    const lab = labOfNetns(ns);
    if (lab) labs.add(lab);
  }
  let namespaces = 0;
  let processes = 0;
  for (const lab of [...labs].sort()) {
    const t = await tearDownLab(lab);
    namespaces += t.namespaces.length;
    processes += t.processes.length;
  }
  const locks = await staleLocks();
  await Promise.all(locks.map((l) => rm(l, { force: true })));
  return { labs: labs.size, namespaces, processes };
}

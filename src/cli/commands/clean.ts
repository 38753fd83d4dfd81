import { rm } from 'node:fs/promises';
import { labOfNetns } from '../../lab/names.js';
import { listNetlabNetns } from '../../kernel/netns.js';
import { preflight } from '../../kernel/preflight.js';
import { tearDownLab } from '../../lifecycle/teardown.js';
import { staleLocks } from '../../state/lock.js';
import { labsWithState } from '../../state/store.js';

/** `netlab clean`: every netlab leftover on the host, whatever state it is in. */
export async function clean(): Promise<number> {
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
  process.stdout.write(
    labs.size === 0 ? 'nothing to clean\n' : `cleaned ${labs.size} lab${labs.size === 1 ? '' : 's'}: ${namespaces} namespaces, ${processes} processes\n`,
  );
  return 0;
}

import { listNetlabNetns, deleteNetns, removeNetnsEtc } from '../kernel/netns.js';
import { labPrefix } from '../lab/names.js';
import { endProcesses, processesInNetns } from '../kernel/processes.js';
import { cniDelAll } from '../kernel/cni.js';
import { labDir } from '../state/paths.js';
import { removeState } from '../state/store.js';

/** What a teardown removed. */
export interface Teardown {
  lab: string;
  namespaces: string[];
  processes: number[];
  /** CNI DELs that failed: said, and the rest removed anyway. */
  warnings: string[];
}

/**
 * Removes a lab by what is on the machine, not by what the state file says:
 * its namespaces are found by their prefix, its processes by the namespaces
 * they live in. Processes end first, so no socket keeps a namespace alive.
 * `only` limits it to namespaces this run made (a rollback must never remove
 * a namespace someone else made).
 */
export async function tearDownLab(lab: string, only?: ReadonlySet<string>): Promise<Teardown> {
  const found = await listNetlabNetns(lab);
  const namespaces = only ? found.filter((n) => only.has(n)) : found;
  // Processes first: the lab's watcher, listening to every namespace's changes, would be told of each removal.
  const processes = await processesInNetns(namespaces);
  await endProcesses(processes);
  // Pods the CNI plugins wired are detached by them, newest first, from the cache: no state or plan needed.
  const warnings = await cniDelAll(labDir(lab));
  await deleteNetns(namespaces);
  // Pods' resolv.conf under /etc/netns: by the lab's prefix, or only this run's namespaces in a rollback.
  if (only) for (const n of namespaces) await removeNetnsEtc(n, true);
  else await removeNetnsEtc(labPrefix(lab));
  await removeState(lab);
  return { lab, namespaces, processes, warnings };
}

import { dirname, isAbsolute, resolve } from 'node:path';
import type { RawLab } from './raw.js';
import { problem, type RuleProblem } from './rules/problem.js';

/**
 * Who wires each pod. `builtin`: netlab's own plan. `reference`: the CNI
 * reference plugins, as flannel's CNI plugin delegates to them. `conflist`:
 * a network configuration list of the user's, with the directories of its
 * plugins (a CNI developer's build).
 */
export type CniMode = { kind: 'builtin' } | { kind: 'reference' } | { kind: 'conflist'; file: string; path: string[] };

/** Where Debian's containernetworking-plugins puts the reference plugins. */
export const PACKAGED_CNI_DIR = '/usr/lib/cni';
/** Where a packaged, root-owned set of plugins lives (Debian's, and upstream's convention): allowed without asking. */
export const SYSTEM_CNI_DIRS = [PACKAGED_CNI_DIR, '/opt/cni/bin'];

/** network.cni, with a conflist's path made absolute against the lab file's directory. */
export function cniModeOf(raw: RawLab, source: string): CniMode {
  const cni = raw.network?.cni;
  if (cni === undefined || cni === 'builtin') return { kind: 'builtin' };
  if (cni === 'reference') return { kind: 'reference' };
  return { kind: 'conflist', file: resolve(dirname(source), cni.conflist), path: cni.path ?? [PACKAGED_CNI_DIR] };
}

export function checkCni(raw: RawLab): RuleProblem[] {
  const cni = raw.network?.cni;
  if (cni === undefined || cni === 'builtin') return [];
  const problems: RuleProblem[] = [];
  if (raw.network?.backend === 'calico') {
    problems.push(
      problem(['network', 'cni'], 'is for flannel backends: Calico wires its pods with its own CNI plugin', 'remove it, or use backend vxlan or host-gw'),
    );
  }
  if (typeof cni === 'object') {
    (cni.path ?? []).forEach((dir, i) => {
      if (!isAbsolute(dir))
        problems.push(problem(['network', 'cni', 'path', i], `${dir} is not an absolute path`, 'plugin directories are absolute, like /usr/lib/cni'));
    });
  }
  return problems;
}

import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import type { Lab } from '../lab/types.js';
import { labDir, RUN_DIR, stateFile } from './paths.js';

/** What netlab remembers about a lab between commands. */
export interface LabState {
  version: 1;
  status: 'building' | 'up';
  /** Resolved lab, tests included (`netlab test LAB` reads them from here). */
  lab: Lab;
  /** The lab file, absolute. */
  file: string;
  /** Who is building (status building) or built it. */
  pid: number;
  agentPid?: number;
  createdAt: string;
}

export type StateRead = { kind: 'missing' } | { kind: 'ok'; state: LabState } | { kind: 'corrupt'; reason: string };

export async function readState(lab: string): Promise<StateRead> {
  let text: string;
  try {
    text = await readFile(stateFile(lab), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'corrupt', reason: (e as Error).message };
  }
  try {
    const state = JSON.parse(text) as LabState;
    if (state?.version !== 1 || !state.lab || !Array.isArray(state.lab.nodes) || !Array.isArray(state.lab.pods)) {
      return { kind: 'corrupt', reason: 'not a netlab state file of version 1' };
    }
    return { kind: 'ok', state };
  } catch (e) {
    return { kind: 'corrupt', reason: `unreadable JSON (${(e as Error).message})` };
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
export async function writeState(state: LabState): Promise<void> {
  await mkdir(labDir(state.lab.name), { recursive: true });
  const tmp = `${stateFile(state.lab.name)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state)}\n`);
  await rename(tmp, stateFile(state.lab.name));
}

export async function removeState(lab: string): Promise<void> {
  await rm(labDir(lab), { recursive: true, force: true });
}

/** Labs that have a state directory, whatever its condition. */
export async function labsWithState(): Promise<string[]> {
  try {
    const entries = await readdir(RUN_DIR, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

import { writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { labToDot } from '../graph/dot.js';
import { labToMermaid } from '../graph/mermaid.js';
import { mergeJunit } from '../checks/report/merge-junit.js';
import { renderDot } from '../kernel/graphviz.js';
import { conflistFor, loadLab, readInputFile } from '../lab/index.js';
import type { Lab } from '../lab/types.js';
import { planLab, type Plan } from '../plan/index.js';
import { planToShell } from '../plan/shell.js';
import { AGENT_PATH, PYTHON, SPEAKER_PATH } from '../runtime-path.js';
import { planContext } from './drift.js';
import { checkOutputFile } from './output-file.js';
import { isLabFile, runningLab } from './target.js';

/*
 * The commands that read files and write text, and touch no lab: validate,
 * plan, graph, merge-junit.
 */

/** A lab file, loaded and validated (its conflist is read when it is planned). */
export const loadLabFile = loadLab;

/** A lab file and the conflist it names, loaded and validated; throws LabFileError (exit 2) with every problem. */
export async function validateFile(file: string): Promise<Lab> {
  const lab = await loadLab(file);
  await conflistFor(lab);
  return lab;
}

/** What `up` would do with a lab file: the plan, and the same as a runnable shell script. */
export async function planFile(file: string): Promise<{ plan: Plan; script: () => string }> {
  const lab = await loadLab(file);
  const plan = planLab(lab, planContext(lab.name, await conflistFor(lab)));
  return { plan, script: () => planToShell(plan, { agentPath: AGENT_PATH, speakerPath: SPEAKER_PATH, python: PYTHON }) };
}

/** A picture of a lab file as written, or of a running lab by name; written to `output` when given (checked first), else returned. */
export async function picture(target: string, format: 'svg' | 'mermaid' | 'dot', output: string | undefined): Promise<string | undefined> {
  if (output) await checkOutputFile(output);
  const lab = isLabFile(target) ? await loadLab(target) : await runningLab(target, '; give its lab file instead');
  const text = format === 'mermaid' ? labToMermaid(lab) : format === 'dot' ? labToDot(lab) : await renderDot(labToDot(lab), 'svg');
  if (!output) return text;
  await writeFile(output, text);
  return undefined;
}

/** A shard's report: 50,000 conformance cases take about 15 MB. */
const JUNIT_REPORT = { maxBytes: 64 * 1024 * 1024, what: 'a JUnit report', kind: 'an XML file on disk' };

/** The shards' JUnit reports as one file; what it holds, counted. Needs no root. */
export async function mergeReports(output: string, inputs: string[]): Promise<{ tests: number; failed: number }> {
  await checkOutputFile(output);
  const reports = [];
  for (const name of inputs) reports.push({ name, xml: await readInputFile(name, JUNIT_REPORT) });
  let merged: string;
  try {
    merged = mergeJunit(reports);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await writeFile(output, merged);
  const counts = /<testsuites[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"/.exec(merged);
  return { tests: Number(counts?.[1] ?? 0), failed: Number(counts?.[2] ?? 0) };
}

import type { TestResult } from '../types.js';
import type { Summary } from './summary.js';

const INDENT = '    ';

/** One result as a reader wants it: a line, and on failure what helps find the cause. */
export function formatResult(r: TestResult): string {
  const head = `${r.status === 'passed' ? '✔' : '✘'} ${r.name} (${formatMs(r.durationMs)})`;
  if (r.status === 'passed') return `${head}\n${INDENT}${r.message}`;
  const lines = [head, `${INDENT}${r.message}`];
  const e = r.evidence;
  if (e.command) lines.push(`${INDENT}$ ${e.command}${e.exitCode !== undefined ? `   (exit ${e.exitCode})` : ''}`);
  for (const l of e.output ?? []) lines.push(`${INDENT}  ${l}`);
  if (e.packets) {
    lines.push(`${INDENT}packets seen: ${e.packets.length}`);
    for (const p of e.packets.slice(0, 10)) lines.push(...p.split('\n').map((l) => `${INDENT}  ${l}`));
  }
  for (const a of (e.aspects ?? []).filter((x) => !x.ok)) lines.push(`${INDENT}✘ ${a.label}: ${a.detail}`);
  if (e.diagnosis) lines.push(`${INDENT}what the kernel says:`, ...e.diagnosis.map((l) => `${INDENT}  ${l}`));
  return lines.join('\n');
}

const GROUPS: Record<string, string> = {
  'own-ip': 'pods hold their own IP',
  'pod-to-pod': 'pod → pod, no NAT',
  'node-to-pod': 'node → its pods',
  localhost: 'containers over 127.0.0.1',
};

export function formatConformance(summary: Summary): string[] {
  return Object.entries(summary.conformance).map(
    ([group, g]) => `${g.passed === g.total ? '✔' : '✘'} conformance: ${GROUPS[group] ?? group}: ${g.passed}/${g.total} cases passed`,
  );
}

export function formatSummary(summary: Summary, seconds: number): string {
  return `${summary.passed} passed, ${summary.failed} failed (${seconds.toFixed(2)} s)`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

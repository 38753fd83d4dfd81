import { runProbes, type Probe } from '../kernel/probe.js';
import type { Lab } from '../lab/types.js';
import { result } from './result.js';
import type { MatrixCell, PolicyMatrixCheck, TestResult } from './types.js';

/** Seconds a cell's connection may take: short, so a 200-cell table stays fast; blocked cells wait it out. */
const CELL_TIMEOUT = 1;

/**
 * Probes every cell at once (one prober), judges each by whether the right
 * pod answered, and compares with the oracle: upstream's truth tables
 * (`.` connected, `X` blocked) for what was expected, what was observed, and
 * the cells that differ, one set per port and protocol.
 */
export async function runMatrix(lab: Lab, check: PolicyMatrixCheck): Promise<TestResult> {
  const started = performance.now();
  const probes: Probe[] = check.cells.map((c, id) => ({ id, kind: c.protocol, netns: c.from.netns, dst: c.to.ip, port: c.port, timeout: CELL_TIMEOUT }));
  const answers = await runProbes(lab.fabric.netns, probes, { parallel: 256 });
  const observed = check.cells.map((c, id) => {
    const r = answers.get(id);
    return Boolean(r?.ok && r.answer?.hostname === c.to.pod);
  });
  const wrong = check.cells.flatMap((c, i) => (observed[i] !== c.allowed ? [{ cell: c, saw: observed[i]! }] : []));
  const output: string[] = [];
  for (const group of groups(check.cells)) {
    const at = (from: string, to: string) =>
      check.cells.findIndex((c) => c.port === group.port && c.protocol === group.protocol && c.from.name === from && c.to.pod === to);
    // Loopback cells are not probed (upstream ignores them): shown as '-'.
    const show = (f: string, t: string, value: (i: number) => string) => (at(f, t) < 0 ? '-' : value(at(f, t)));
    const mark = (ok: boolean) => (ok ? '.' : 'X');
    output.push(`${group.port}/${group.protocol}`, ...truthTable('expected', check, (f, t) => show(f, t, (i) => mark(check.cells[i]!.allowed))));
    output.push(...truthTable('observed', check, (f, t) => show(f, t, (i) => mark(observed[i]!))));
    if (wrong.some((w) => w.cell.port === group.port && w.cell.protocol === group.protocol)) {
      output.push(...truthTable('differs', check, (f, t) => show(f, t, (i) => (observed[i] === check.cells[i]!.allowed ? '.' : '!'))));
    }
  }
  for (const w of wrong.slice(0, 20)) {
    output.push(
      `${w.cell.from.name} → ${w.cell.to.pod} ${w.cell.port}/${w.cell.protocol}: ${w.saw ? 'connected' : 'blocked'}, but the policies say ${w.cell.allowed ? 'allowed' : 'blocked'} (${w.cell.why})`,
    );
  }
  const total = check.cells.length;
  const message =
    wrong.length === 0
      ? `all ${total} cells as the policies say (reachability: correct: ${total}, incorrect: 0)`
      : `${wrong.length} of ${total} cells differ from the policies (reachability: correct: ${total - wrong.length}, incorrect: ${wrong.length})`;
  return result(check, wrong.length === 0, message, started, { command: `${total} connections, ${CELL_TIMEOUT} s each at most, from the prober`, output });
}

function groups(cells: MatrixCell[]): Array<{ port: number; protocol: string }> {
  return [...new Map(cells.map((c) => [`${c.port}/${c.protocol}`, { port: c.port, protocol: c.protocol }])).values()];
}

/** upstream's PrettyPrint: a header of destinations, a row per source. */
function truthTable(title: string, check: PolicyMatrixCheck, cell: (from: string, to: string) => string): string[] {
  return [`  ${title}:`, `  -\t${check.columns.join('\t')}`, ...check.rows.map((f) => `  ${f}\t${check.columns.map((t) => cell(f, t)).join('\t')}`)];
}

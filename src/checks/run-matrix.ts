import { neighbourLimit } from '../kernel/inspect.js';
import { runProbeRounds, type Probe, type ProbeResult } from '../kernel/probe.js';
import { cellFlow, neighbourRounds } from './neighbour-budget.js';
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
  // A closed port (no container listens) is refused whatever the policies say: its cells are not probed, and not blamed on them.
  const probed = check.cells.flatMap((c, id) => (c.served ? [id] : []));
  const probe = (id: number): Probe => {
    const c = check.cells[id]!;
    return { id, kind: c.protocol, netns: c.from.netns, dst: c.to.ip, port: c.port, timeout: CELL_TIMEOUT };
  };
  // In rounds that fit the kernel's one neighbour table, each round's caches emptied before the next, as conformance does:
  // 120 pods of one node once overflowed it (14,192 entries refused) and the cells it failed were blamed on the policies.
  const rounds = neighbourRounds(
    lab,
    probed.map((id) => cellFlow(check.cells[id]!)),
    (await neighbourLimit()) / 2,
  );
  const answers = new Map<number, ProbeResult>();
  await runProbeRounds(
    lab.fabric.netns,
    rounds.map((r) => ({ probes: r.cases.map((i) => probe(probed[i]!)), forget: rounds.length > 1 ? r.namespaces : [] })),
    { parallel: 256, onResult: (r) => answers.set(r.id, r) },
  );
  const observed = check.cells.map((c, id) => {
    const r = answers.get(id);
    return Boolean(r?.ok && r.answer?.hostname === c.to.pod);
  });
  const wrong = check.cells.flatMap((c, i) => (c.served && observed[i] !== c.allowed ? [{ cell: c, saw: observed[i]! }] : []));
  const output: string[] = [];
  // Indexed once: a search of every cell per table entry made the tables quartic in the pods.
  const index = new Map(check.cells.map((c, i) => [`${c.port}/${c.protocol} ${c.from.name} ${c.to.pod}`, i]));
  for (const group of groups(check.cells)) {
    const at = (from: string, to: string) => index.get(`${group.port}/${group.protocol} ${from} ${to}`) ?? -1;
    // Loopback cells are not probed (upstream ignores them): shown as '-'; cells to a closed port as 'c'.
    const show = (f: string, t: string, value: (i: number) => string) => {
      const i = at(f, t);
      return i < 0 ? '-' : check.cells[i]!.served ? value(i) : 'c';
    };
    const mark = (ok: boolean) => (ok ? '.' : 'X');
    output.push(`${group.port}/${group.protocol}`, ...truthTable('expected', check, (f, t) => show(f, t, (i) => mark(check.cells[i]!.allowed))));
    output.push(...truthTable('observed', check, (f, t) => show(f, t, (i) => mark(observed[i]!))));
    if (wrong.some((w) => w.cell.port === group.port && w.cell.protocol === group.protocol)) {
      output.push(...truthTable('differs', check, (f, t) => show(f, t, (i) => (observed[i] === check.cells[i]!.allowed ? '.' : '!'))));
    }
    const shut = new Set(check.cells.filter((c) => !c.served && c.port === group.port && c.protocol === group.protocol).map((c) => c.to.pod));
    const closed = check.columns.filter((t) => shut.has(t));
    if (closed.length > 0)
      output.push(
        `  c: ${group.port}/${group.protocol} is closed on ${closed.join(', ')} (no container listens on it): not probed, says nothing of the policies`,
      );
  }
  for (const w of wrong.slice(0, 20)) {
    output.push(
      `${w.cell.from.name} → ${w.cell.to.pod} ${w.cell.port}/${w.cell.protocol}: ${w.saw ? 'connected' : 'blocked'}, but the policies say ${w.cell.allowed ? 'allowed' : 'blocked'} (${w.cell.why})`,
    );
  }
  const total = probed.length;
  const closed = check.cells.length - total;
  const skipped = closed > 0 ? `; ${closed} cells to closed ports not probed` : '';
  const inRounds = rounds.length > 1 ? `, in ${rounds.length} rounds that fit the kernel's neighbour table` : '';
  const evidence = { command: `${total} connections, ${CELL_TIMEOUT} s each at most, from the prober${inRounds}`, output };
  if (total === 0) {
    const ports = groups(check.cells).map((g) => `${g.port}/${g.protocol}`);
    return result(
      check,
      false,
      `no pod of the matrix listens on ${ports.join(' or ')}: every port is closed, so the matrix checks nothing of the policies`,
      started,
      evidence,
    );
  }
  const message =
    wrong.length === 0
      ? `all ${total} cells as the policies say (reachability: correct: ${total}, incorrect: 0)${skipped}`
      : `${wrong.length} of ${total} cells differ from the policies (reachability: correct: ${total - wrong.length}, incorrect: ${wrong.length})${skipped}`;
  return result(check, wrong.length === 0, message, started, evidence);
}

function groups(cells: MatrixCell[]): Array<{ port: number; protocol: string }> {
  return [...new Map(cells.map((c) => [`${c.port}/${c.protocol}`, { port: c.port, protocol: c.protocol }])).values()];
}

/** upstream's PrettyPrint: a header of destinations, a row per source. */
function truthTable(title: string, check: PolicyMatrixCheck, cell: (from: string, to: string) => string): string[] {
  return [`  ${title}:`, `  -\t${check.columns.join('\t')}`, ...check.rows.map((f) => `  ${f}\t${check.columns.map((t) => cell(f, t)).join('\t')}`)];
}

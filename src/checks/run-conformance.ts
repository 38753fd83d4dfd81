import { neighbourLimit } from '../kernel/inspect.js';
import { observeNamespaces } from '../kernel/observe.js';
import { runProbeRounds, type Probe, type ProbeResult } from '../kernel/probe.js';
import type { Lab } from '../lab/types.js';
import { judgeAspect, type Verdict } from './judge.js';
import { caseFlow, meshNeighbourEstimate, neighbourRounds } from './neighbour-budget.js';
import { REACHABLE_TIMEOUT, result } from './result.js';
import type { ConformanceCase, TestResult } from './types.js';

type Item = { check: ConformanceCase; index: number };
type Record = (i: number, r: TestResult) => void;

/**
 * Conformance cases: own-IP checks read the kernel (every pod in one pass);
 * everything else is one prober run for the whole mesh, in rounds when the
 * mesh would overflow the kernel's shared ARP table (see neighbour-budget.ts).
 */
export async function runConformance(lab: Lab, items: Item[], record: Record): Promise<void> {
  if (items.length === 0) return;
  // Reading the addresses and probing are independent: one helper's start is hidden behind the other's.
  await Promise.all([
    checkOwnIps(
      items.filter((c) => c.check.group === 'own-ip'),
      record,
    ),
    probe(
      lab,
      items.filter((c) => c.check.group !== 'own-ip'),
      record,
    ),
  ]);
}

/** Everything but own-IP cases: one prober, in rounds when the mesh needs them. */
async function probe(lab: Lab, probed: Item[], record: Record): Promise<void> {
  if (probed.length === 0) return;
  const tally = new CaseTally(probed, record);
  const budget = (await neighbourLimit()) / 2;
  // A mesh that fits the kernel's shared ARP table runs at once; a larger one (or a sample of a large lab)
  // in rounds that each fit, every cache a round filled emptied before the next.
  const rounds =
    meshNeighbourEstimate(lab) > budget
      ? neighbourRounds(
          lab,
          probed.map((p) => caseFlow(p.check)),
          budget,
        )
      : [{ cases: probed.map((_, i) => i), namespaces: [] }];
  // One prober for every round: it empties the caches a round filled itself, before the next. A round's
  // probes are made when the prober asks for it.
  const owner: Array<{ item: number; aspect: number }> = [];
  function* probeRounds() {
    for (const round of rounds) {
      const probes = probesFor(
        round.cases.map((i) => ({ item: i, check: probed[i]!.check })),
        owner,
      );
      yield { probes, forget: round.namespaces };
    }
  }
  const started = performance.now();
  await runProbeRounds(lab.fabric.netns, probeRounds(), { onResult: (r) => tally.add(owner[r.id]!, r) });
  // NETLAB_PROFILE=1: where a large conformance run's time goes.
  if (process.env.NETLAB_PROFILE) {
    process.stderr.write(`profile conformance: ${rounds.length} rounds, ${owner.length} probes in ${(performance.now() - started).toFixed(0)} ms\n`);
  }
}

/**
 * Each pod holds exactly its own address on eth0, as the kernel reports it:
 * read for every pod at once by the observe helpers (`ip` per pod would be
 * 10,000 programs in a large lab); the command that shows the same is named.
 */
async function checkOwnIps(items: Item[], record: Record): Promise<void> {
  if (items.length === 0) return;
  const started = performance.now();
  const live = await observeNamespaces(new Map(items.map(({ check }) => [check.from.netns, { read: ['addresses'], sysctls: [] }])));
  for (const { check, index } of items) {
    const ns = live[check.from.netns];
    const held = ns ? ns.addresses.filter((a) => a.dev === 'eth0').map((a) => a.address.split('/')[0]!) : ['error: the namespace is gone'];
    const ok = held.length === 1 && held[0] === check.to.ip;
    const message = ok ? `eth0 holds ${check.to.ip}` : `eth0 holds ${held.join(', ') || 'nothing'}, expected only ${check.to.ip}`;
    record(index, result(check, ok, message, started, { command: `ip -n ${check.from.netns} -4 -j addr show dev eth0`, output: held }));
  }
}

/** Collects the prober's results per case; a case is recorded once all its aspects are in. */
class CaseTally {
  private readonly verdicts: Array<Array<Verdict | undefined>>;
  private readonly remaining: number[];
  private readonly slowest: number[];

  constructor(
    private readonly items: Item[],
    private readonly record: Record,
  ) {
    this.verdicts = items.map(({ check }) => check.aspects.map(() => undefined));
    this.remaining = items.map(({ check }) => check.aspects.length);
    this.slowest = items.map(() => 0);
  }

  add({ item, aspect }: { item: number; aspect: number }, r: ProbeResult): void {
    const { check, index } = this.items[item]!;
    this.verdicts[item]![aspect] = judgeAspect(check.aspects[aspect]!, r);
    this.slowest[item] = Math.max(this.slowest[item]!, r.ms);
    if (--this.remaining[item]! > 0) return;
    const verdicts = check.aspects.map((a, i) => ({ label: a.label, ...this.verdicts[item]![i]! }));
    const failed = verdicts.filter((v) => !v.ok);
    const message = failed.length === 0 ? verdicts.map((v) => v.label).join(', ') : failed.map((v) => `${v.label}: ${v.message}`).join('; ');
    const aspects = verdicts.map((v) => ({ label: v.label, ok: v.ok, detail: v.message }));
    this.record(index, { ...result(check, failed.length === 0, message, performance.now(), { aspects }), durationMs: Math.round(this.slowest[item]!) });
  }
}

/** The prober's probes for conformance cases; `owner`, indexed by probe id, is told which case and aspect each serves. */
export function probesFor(cases: Array<{ item: number; check: ConformanceCase }>, owner: Array<{ item: number; aspect: number }>): Probe[] {
  const probes: Probe[] = [];
  for (const { item, check } of cases) {
    check.aspects.forEach((aspect, a) => {
      const base = { id: owner.length, netns: check.from.netns, dst: check.to.ip, timeout: REACHABLE_TIMEOUT };
      if (aspect.kind === 'icmp') probes.push({ ...base, kind: 'icmp', count: 1 });
      else if (aspect.kind === 'nat') probes.push({ ...base, kind: 'nat', dstNetns: aspect.dstNetns });
      else if (aspect.kind === 'tcp' || aspect.kind === 'udp') probes.push({ ...base, kind: aspect.kind, port: aspect.port });
      else return;
      owner.push({ item, aspect: a });
    });
  }
  return probes;
}

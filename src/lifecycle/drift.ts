import { readFile } from 'node:fs/promises';
import { KernelError } from '../errors.js';
import { ifAbsent, writePrivateFile } from '../kernel/files.js';
import { reloadNginx } from '../kernel/nginx.js';
import { issueCertificate } from '../kernel/tls.js';
import { nginxFiles, planIngressNginx } from '../plan/ingress-nginx.js';
import { gatewayFiles, planGatewayNginx } from '../plan/gateway-nginx.js';
import { mapLimit } from '../kernel/run.js';
import { applyWave } from '../kernel/apply.js';
import { plannedImages, type PlannedRuleset } from '../kernel/canon.js';
import { observeIptables, observeNamespaces, observeTable } from '../kernel/observe.js';
import { renderIptables } from '../plan/iptables-ruleset.js';
import { renderNft } from '../plan/nft-ruleset.js';
import { endProcesses, pidFileAlive, processesRunning, programsRunning } from '../kernel/processes.js';
import { SPEAKER_PATH } from '../runtime-path.js';
import { isSameProcess } from '../pid.js';
import { findDrift, repairPlan, whatToRead, type LabDrift } from '../plan/drift.js';
import { planLab, type Plan, type PlanContext } from '../plan/index.js';
import type { IptablesRestore, NftLoad } from '../plan/ops.js';
import type { Conflist } from '../lab/conflist.js';
import type { LiveBgpSession, LiveLab, NamespaceQuery } from '../plan/live.js';
import { POLICY_TABLE, policyReloads } from '../plan/policies.js';
import { wavesOf } from '../plan/waves.js';
import { resolve as resolvePath } from 'node:path';
import type { Lab } from '../lab/types.js';
import { labDir } from '../state/paths.js';
import { bgpSessionsAt } from '../kernel/bird.js';
import type { LabState } from '../state/store.js';

/** What a lab's plan is made with: its state directory, and its conflist when it attaches pods with one. */
export function planContext(lab: string, conflist: Conflist | undefined): PlanContext {
  return { stateDir: labDir(lab), ...(conflist ? { conflist } : {}) };
}

/** The plan a running lab was built from. */
export function planOf(state: LabState): Plan {
  return planLab(state.lab, planContext(state.lab.name, state.conflist));
}

/** Whether the lab's container runtime is the process `up` started and still runs. */
export function agentRunning(state: LabState, plan = planOf(state)): boolean | undefined {
  if (state.agent === undefined) return plan.stages.some((s) => s.ops.some((o) => o.kind === 'process.start')) ? false : undefined;
  return isSameProcess(state.agent);
}

/** Ops whose objects the namespaces' dump does not hold. */
const OTHER_READS: ReadonlySet<string> = new Set(['nft.load', 'iptables.restore', 'daemon.start', 'speaker.start', 'bgp.establish']);

/** Reads the namespaces a query names; `unchanged` lists those left unread because they are known unchanged. */
export type ReadNamespaces = (query: Map<string, NamespaceQuery>) => Promise<{ namespaces: LiveLab['namespaces']; unchanged: string[] }>;

/** Reads every namespace the query names. */
const readAll: ReadNamespaces = async (query) => ({ namespaces: await observeNamespaces(query), unchanged: [] });

/**
 * The running lab as the kernel holds it, its namespaces read by `read`
 * (the lab's watcher gives one that leaves the pods it vouches for unread:
 * lifecycle/watch.ts).
 */
export async function observeLab(state: LabState, plan = planOf(state), read: ReadNamespaces = readAll): Promise<LiveLab> {
  const { namespaces, unchanged } = await read(whatToRead(plan));
  const daemons: Record<string, boolean> = {};
  const speakers: Record<string, boolean> = {};
  const bgp: Record<string, LiveBgpSession[] | null> = {};
  const others = plan.stages.flatMap((s) => s.ops.filter((o) => OTHER_READS.has(o.kind)));
  // The planned rulesets as the kernel holds them once loaded, to compare rule by rule: each rendered once, read back once, then kept.
  const loads = others.filter((op): op is NftLoad | IptablesRestore => op.kind === 'nft.load' || op.kind === 'iptables.restore');
  const images = loads.length > 0 ? await plannedImages(labDir(state.lab.name), loads.map(plannedRuleset)) : [];
  const planned = new Map(loads.map((op, i) => [op, images[i]!]));
  // What the namespaces' dump does not hold: tables, daemons and BGP sessions, for the ops that make them.
  for (const op of others) {
    const ns = 'netns' in op ? namespaces[op.netns] : undefined;
    if (!ns) continue;
    if (op.kind === 'nft.load') {
      const image = await observeTable(op.netns, op.table);
      ns.tables = { ...ns.tables, [op.table]: image ? { image, planned: planned.get(op)! } : null };
    } else if (op.kind === 'iptables.restore') {
      const image = await observeIptables(op.netns);
      ns.tables = { ...ns.tables, iptables: image ? { image, planned: planned.get(op)! } : null };
      // By its program: a node's namespace may hold a speaker beside its BIRD, and the one alive must not hide the other's death.
    } else if (op.kind === 'daemon.start')
      daemons[op.netns] = op.pidFile ? await pidFileAlive(op.pidFile, op.argv[0]!, op.netns) : (await programsRunning(op.netns, op.argv[0]!)).length > 0;
    else if (op.kind === 'speaker.start') speakers[op.netns] = (await processesRunning(op.netns, SPEAKER_PATH)).length > 0;
    else if (op.kind === 'bgp.establish') bgp[op.netns] = (await bgpSessionsAt(op.socket)) ?? null;
  }
  // The files the plan writes, as they are (a pod's resolv.conf deleted or edited by hand is damage).
  const files: Record<string, string | null> = {};
  const written = plan.stages.flatMap((s) => s.ops).flatMap((op) => (op.kind === 'file.write' ? [op.path] : []));
  // Bounded: a lab of thousands of pods with cluster DNS has a resolv.conf each, and open files are limited.
  await mapLimit(written, 32, async (path) => {
    files[path] = await readFile(path, 'utf8').catch(ifAbsent(null));
  });
  return { namespaces, ...(unchanged.length > 0 ? { unchanged } : {}), agentRunning: agentRunning(state, plan), daemons, speakers, bgp, files };
}

/** A table op's ruleset as the canon helper loads it: rendered text. */
function plannedRuleset(op: NftLoad | IptablesRestore): PlannedRuleset {
  return op.kind === 'nft.load' ? { kind: 'nft', table: op.table, ruleset: renderNft(op.ruleset) } : { kind: 'iptables', ruleset: renderIptables(op.ruleset) };
}

/** The running lab compared with its plan, object by object. */
export async function labDrift(state: LabState, plan = planOf(state)): Promise<LabDrift> {
  return findDrift(plan, await observeLab(state, plan));
}

/**
 * Makes the kernel match the plan again, touching only what differs: links
 * that exist in another form are removed first, then everything missing is
 * made as `up` would, and the container runtime restarts when a pod's
 * namespace was made anew or it had died. Returns what was wrong, in words.
 */
export async function repairLab(state: LabState, drift: LabDrift, concurrency: number, plan = planOf(state)): Promise<string[]> {
  const repaired = drift.missing.filter((d) => !d.dependent).map((d) => d.what);
  if (drift.wrong.length > 0) {
    await applyWave(
      {
        title: 'remove links that are not as planned',
        stages: [{ name: 'links', title: 'remove', barrier: true, ops: drift.wrong.map((w) => ({ kind: 'link.delete', netns: w.netns, name: w.name })) }],
      },
      concurrency,
    );
    drift = await labDrift(state, plan);
  }
  const fix = repairPlan(plan, drift);
  if (fix.stages.some((s) => s.ops.some((o) => o.kind === 'process.start')) && state.agent && isSameProcess(state.agent)) {
    await endProcesses([state.agent.pid]);
  }
  for (const wave of wavesOf(fix.stages)) {
    const outcome = await applyWave(wave, concurrency);
    if (outcome.agent) state.agent = outcome.agent;
  }
  const left = (await labDrift(state, plan)).missing.filter((d) => !d.dependent);
  if (left.length > 0)
    throw new KernelError(
      `the repair left the lab unlike its plan: ${left
        .slice(0, 3)
        .map((d) => d.what)
        .join('; ')}`,
    );
  return repaired;
}

/**
 * The file's NetworkPolicies replace the running lab's: every node's policy
 * table is loaded again whole (or removed when no policy is left), and the
 * state takes the new file. Pods, links and routes are not touched.
 */
export async function reloadPolicies(state: LabState, lab: Lab, concurrency: number): Promise<string> {
  const before = state.lab.policies.length;
  state.lab = lab;
  state.file = resolvePath(lab.source);
  await applyWave({ title: 'reload NetworkPolicies', stages: [{ name: 'services', title: 'reload', barrier: false, ops: policyReloads(lab) }] }, concurrency);
  return `${before} → ${lab.policies.length} NetworkPolicies: table ${POLICY_TABLE} reloaded on ${lab.nodes.length} node${lab.nodes.length === 1 ? '' : 's'}, no pod touched`;
}

/**
 * Ingresses edited in the file: each controller pod's nginx.conf written
 * anew and nginx told to read it (a graceful reload: open connections
 * finish on the old workers). No pod, Service or rule is touched.
 */
export async function reloadIngresses(state: LabState, lab: Lab): Promise<string> {
  const before = state.lab.ingress.ingresses.length;
  state.lab = lab;
  state.file = resolvePath(lab.source);
  const stateDir = labDir(lab.name);
  const pods = lab.ingress.controller?.pods ?? [];
  for (const op of planIngressNginx(lab, planContext(lab.name, state.conflist)).flatMap((c) => c.containers ?? [])) {
    if (op.kind === 'file.write') await writePrivateFile(op.path, op.content);
    // A TLS entry added or changed: its certificate, from the CA clients already trust.
    if (op.kind === 'tls.issue') await issueCertificate('reload Ingresses', op);
  }
  for (const pod of pods) await reloadNginx(nginxFiles(stateDir, pod.name.replace('/', '.')).pid, pod.netns);
  return `${before} → ${lab.ingress.ingresses.length} Ingresses: nginx reloaded in ${pods.length} controller pod${pods.length === 1 ? '' : 's'}, no connection cut`;
}

/** HTTPRoutes edited in the file: each Gateway's nginx.conf written anew and its nginx reloaded, no connection cut. */
export async function reloadGateways(state: LabState, lab: Lab): Promise<string> {
  const before = state.lab.gateway.routes.length;
  state.lab = lab;
  state.file = resolvePath(lab.source);
  const context = planContext(lab.name, state.conflist);
  for (const op of planGatewayNginx(lab, context).flatMap((c) => c.containers ?? [])) {
    if (op.kind === 'file.write') await writePrivateFile(op.path, op.content);
  }
  const served = lab.gateway.gateways.filter((g) => g.served && g.pod);
  for (const g of served) await reloadNginx(gatewayFiles(context.stateDir, g).pid, g.pod!.netns);
  return `${before} → ${lab.gateway.routes.length} HTTPRoutes: nginx reloaded for ${served.length} Gateway${served.length === 1 ? '' : 's'}, no connection cut`;
}

import { endProcesses, programsRunning } from './processes.js';
import { issueCertificate } from './tls.js';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { EnvironmentError, KernelError } from '../errors.js';
import { isToolOp, toolCommand } from '../plan/commands.js';
import type { Op } from '../plan/ops.js';
import { commandLine } from '../plan/shell.js';
import type { Wave } from '../plan/waves.js';
import { APPLY_HELPER_PATH, HELPER_PROTOCOL, PYTHON } from '../runtime-path.js';
import { startTime, type ProcessId } from '../pid.js';
import { startAgent, startSpeaker } from './agent.js';
import { establishBgp } from './bird.js';
import { cniAdd } from './cni.js';
import { ensurePrivateDir, writePrivateFile, writePublicFile } from './files.js';
import { renderIptables } from '../plan/iptables-ruleset.js';
import { renderNft } from '../plan/nft-ruleset.js';
import { describeOutcome, failedBatchLine, kernelReason, missingFeature } from './failure.js';
import { enteringNetns } from './netns.js';
import { mapLimit, run } from './run.js';

/** One process's worth of a wave: the ops of one namespace for one tool, in plan order. */
interface Job {
  key: string;
  ops: Op[];
}

/** What applying a wave learned that later commands need. */
export interface WaveOutcome {
  /** The container runtime this wave started. */
  agent?: ProcessId;
}

/** Namespaces handled at once by default: twice the cores, since each job mostly waits on the kernel. */
export const DEFAULT_CONCURRENCY = Math.max(2, availableParallelism() * 2);

/**
 * Applies one wave. Namespaces are made, and a namespace whose ops are all
 * ones the apply helper speaks (veths, links up, bridge ports, addresses,
 * routes, neighbours, FDB entries, sysctls) is served, by the apply helpers,
 * one per core for the whole wave (see groupJobs); the other namespaces get
 * one `ip -batch` each, `concurrency` at a time. Ops of one namespace keep
 * their plan order.
 */
export async function applyWave(wave: Wave, concurrency: number): Promise<WaveOutcome> {
  const outcome: WaveOutcome = {};
  const name = wave.stages.map((s) => s.name).join('+');
  const timings: Array<{ key: string; ops: number; ms: number }> = [];
  const waveStarted = performance.now();
  await mapLimit(
    groupJobs(
      wave.stages.flatMap((s) => s.ops),
      availableParallelism(),
    ),
    concurrency,
    async (job) => {
      const started = performance.now();
      const pid = await runJob(name, job);
      timings.push({ key: job.key, ops: job.ops.length, ms: performance.now() - started });
      if (pid !== undefined) outcome.agent = { pid, start: startTime(pid) ?? '?' };
    },
  );
  // NETLAB_PROFILE=1: where a wave's time goes, for tuning and for the bench's breakdown (the wave, its slowest jobs).
  if (process.env.NETLAB_PROFILE) {
    const top = timings.sort((a, b) => b.ms - a.ms).slice(0, 4);
    process.stderr.write(
      `profile ${name}: ${timings.length} jobs in ${(performance.now() - waveStarted).toFixed(0)} ms; ` +
        `slowest: ${top.map((t) => `${t.key} (${t.ops} ops) ${t.ms.toFixed(0)} ms`).join(', ')}\n`,
    );
  }
  return outcome;
}

/** What runtime/netlab-apply.py can do in a namespace (and `netns.add`, which it makes). */
export const HELPER_KINDS: ReadonlySet<Op['kind']> = new Set<Op['kind']>([
  'link.add.veth',
  'link.up',
  'link.addrgenmode',
  'link.master',
  'link.hairpin',
  'addr.add',
  'route.add',
  'neigh.replace',
  'fdb.replace',
  'sysctl.set',
]);

/**
 * A big wave uses every core: `cores` apply helpers share the namespaces they
 * make or serve. A namespace with an iproute2 op the helper does not speak
 * (a bridge or VXLAN device made) goes to `ip -batch` whole, so its ops keep
 * their order; rulesets, files and daemons are jobs of their own either way.
 * The two namespaces of a veth the helper makes go to the same helper, which
 * sets the pod's side just after the pair is made: the plan gives a pod no op
 * the helper does not speak in the wave its veth is made in.
 */
export function groupJobs(ops: Op[], cores = 1): Job[] {
  const viaHelper = new Set<string>();
  const notHelper = new Set<string>();
  for (const op of ops) {
    if (!isToolOp(op) || op.kind === 'netns.add') continue;
    (HELPER_KINDS.has(op.kind) ? viaHelper : notHelper).add(op.netns);
  }
  // Making a namespace is CPU work in the kernel under no lock two cores fight over (measured: 10,041 take
  // 5.2 s in one helper, 2.5-2.8 s in two), so the helpers share them too.
  const helped = (op: Op) =>
    op.kind === 'sysctl.set' || op.kind === 'netns.add' || ('netns' in op && viaHelper.has(op.netns) && !notHelper.has(op.netns) && HELPER_KINDS.has(op.kind));
  const servedWith = vethHomes(ops.filter(helped));
  const share = new Map<string, number>();
  const helperFor = (netns: string) => {
    const home = servedWith.get(netns) ?? netns;
    let n = share.get(home);
    if (n === undefined) share.set(home, (n = share.size % cores));
    return `helper ${n}`;
  };
  const jobs = new Map<string, Job>();
  for (const op of ops) {
    const key = helped(op) ? helperFor((op as { netns: string }).netns) : jobKey(op);
    let job = jobs.get(key);
    if (!job) jobs.set(key, (job = { key, ops: [] }));
    job.ops.push(op);
  }
  return [...jobs.values()];
}

/** The namespace each veth peer is served with: the one its pair is made in (a pod's, its node's). */
function vethHomes(ops: Op[]): Map<string, string> {
  const homes = new Map<string, string>();
  for (const op of ops) if (op.kind === 'link.add.veth') homes.set(op.peer.netns, op.netns);
  return homes;
}

function jobKey(op: Op): string {
  if (isToolOp(op)) {
    const c = toolCommand(op);
    return `${c.tool} ${c.netns ?? '(host)'}`;
  }
  if (op.kind === 'nft.load') return `nft ${op.netns}`;
  if (op.kind === 'qdisc.delete') return `tc ${op.netns}`;
  if (op.kind === 'iptables.restore') return `iptables ${op.netns}`;
  if (op.kind === 'bgp.establish') return `bgp ${op.netns}`;
  // One node's pods in plan order: host-local hands out the addresses in the order it is asked.
  if (op.kind === 'cni.add') return `cni ${op.netns}`;
  // Speakers start at once (their configurations were written a stage before): each listens a moment for the others.
  if (op.kind === 'speaker.start') return `speaker ${op.netns}`;
  // The runtime's config file must be written before the runtime starts: one job.
  return 'runtime';
}

async function runJob(stage: string, job: Job): Promise<number | undefined> {
  if (job.key.startsWith('helper')) {
    await runHelper(stage, job.ops);
    return undefined;
  }
  if (isToolOp(job.ops[0]!)) {
    await runBatch(stage, job.ops);
    return undefined;
  }
  let pid: number | undefined;
  for (const op of job.ops) {
    if (op.kind === 'nft.load') {
      await loadNft(stage, op);
    } else if (op.kind === 'qdisc.delete') {
      const r = await run('ip', ['netns', 'exec', op.netns, 'tc', 'qdisc', 'del', 'dev', op.dev, 'root']);
      if (r.exitCode !== 0) throw new KernelError(`${stage}: removing the qdisc of ${op.dev} in ${op.netns} failed: ${kernelReason(r.stderr)}`);
    } else if (op.kind === 'iptables.restore') {
      await restoreIptables(stage, op);
    } else if (op.kind === 'daemon.start') {
      // What a killed master left behind (nginx's workers keep its ports): the lab's own, ended before a new master binds them.
      if (op.pidFile) await endProcesses(await programsRunning(op.netns, op.name));
      const r = await run('ip', ['netns', 'exec', op.netns, ...op.argv]);
      if (r.exitCode !== 0) throw new KernelError(`${stage}: starting ${op.name} in ${op.netns} failed: ${kernelReason(r.stderr)}`);
    } else if (op.kind === 'tls.issue') {
      await issueCertificate(stage, op);
    } else if (op.kind === 'cni.add') {
      await cniAdd(op);
    } else if (op.kind === 'bgp.establish') {
      await establishBgp(op);
    } else if (op.kind === 'file.write' && op.public) {
      await writePublicFile(op.path, op.content);
    } else if (op.kind === 'file.write') {
      await ensurePrivateDir(dirname(op.path));
      await writePrivateFile(op.path, op.content);
    } else if (op.kind === 'speaker.start') {
      try {
        await startSpeaker(op.netns, op.config, op.log);
      } catch (e) {
        throw new KernelError(`${stage}: starting the speaker of ${op.node} failed: ${(e as Error).message}`);
      }
    } else if (op.kind === 'process.start') {
      try {
        pid = await startAgent(op.netns, op.config, op.log);
      } catch (e) {
        throw new KernelError(`${stage}: starting the container runtime failed: ${(e as Error).message}`);
      }
    }
  }
  return pid;
}

async function runBatch(stage: string, ops: Op[]): Promise<void> {
  const commands = ops.filter(isToolOp).map(toolCommand);
  const { tool, netns } = commands[0]!;
  const [file, args] = netns ? enteringNetns(netns, [tool, '-batch', '-']) : [tool, ['-batch', '-']];
  const r = await run(file, args, { input: commands.map((c) => `${c.args.join(' ')}\n`).join('') });
  if (r.exitCode === 0) return;
  const line = failedBatchLine(r.stderr);
  const failed = line !== undefined ? ops[line - 1] : undefined;
  const what = failed ? describeOp(failed) : describeOutcome(r);
  const feature = missingFeature(r.stderr);
  const message = `${stage}: ${what} failed: ${kernelReason(r.stderr)}`;
  throw feature ? new EnvironmentError(`${message}\n  ${feature}`) : new KernelError(message);
}

/**
 * Ops the helper applies, grouped by namespace so it enters each namespace
 * once, each node's namespace just before its pods': a pod's veth is made in
 * the node's, then the pod's side is set, while few links wait down.
 */
async function runHelper(stage: string, ops: Op[]): Promise<void> {
  const homes = vethHomes(ops);
  const groups = new Map<string, Map<string, Op[]>>();
  for (const op of ops) {
    const netns = (op as { netns: string }).netns;
    const home = homes.get(netns) ?? netns;
    let group = groups.get(home);
    if (!group) groups.set(home, (group = new Map([[home, []]])));
    let list = group.get(netns);
    if (!list) group.set(netns, (list = []));
    list.push(op);
  }
  const ordered = [...groups.values()].flatMap((group) => [...group.values()].flat());
  const r = await run(PYTHON, [APPLY_HELPER_PATH], { input: applyRequest(ordered) });
  if (r.exitCode === 0) return;
  const m = /^error: (\d+): (.*)$/m.exec(r.stderr);
  const op = m ? ordered[Number(m[1])] : undefined;
  if (!op) throw new KernelError(`${stage}: the apply helper failed: ${describeOutcome(r)}`);
  throw new KernelError(`${stage}: ${describeOp(op)} failed: ${m![2]}`);
}

/** The apply helper's request (runtime/protocol.json `apply.request`). */
export function applyRequest(ops: Op[]): string {
  return JSON.stringify({ protocol: HELPER_PROTOCOL, ops });
}

function describeOp(op: Op): string {
  return commandLine(op) ?? op.kind;
}

/**
 * One whole nftables table in one `nft -f` transaction inside the namespace:
 * it loads completely or not at all. nft names the failing line of its input.
 */
async function loadNft(stage: string, op: Extract<Op, { kind: 'nft.load' }>): Promise<void> {
  const text = renderNft(op.ruleset);
  const r = await run('ip', ['netns', 'exec', op.netns, 'nft', '-f', '-'], { input: text });
  if (r.exitCode === 0) return;
  const m = /^\/dev\/stdin:(\d+):[^\n]*Error: ([^\n]*)/m.exec(r.stderr);
  const line = m ? text.split('\n')[Number(m[1]) - 1] : undefined;
  const what = m ? `${m[2]}${line ? `\n  at: ${line.trim()}` : ''}` : describeOutcome(r);
  const message = `${stage}: loading table ${op.table} in ${op.netns} failed: ${what}`;
  throw /Operation not supported|No such file or directory/.test(r.stderr) && !m
    ? new EnvironmentError(`${message}\n  the kernel lacks an nftables feature kube-proxy uses (nf_tables, nft_nat, nft_numgen, nft_fib, nft_reject)`)
    : new KernelError(message);
}

/** filter and nat in one `iptables-restore`: atomic per table; it names the line that failed. */
async function restoreIptables(stage: string, op: Extract<Op, { kind: 'iptables.restore' }>): Promise<void> {
  const text = renderIptables(op.ruleset);
  const r = await run('ip', ['netns', 'exec', op.netns, 'iptables-restore'], { input: text });
  if (r.exitCode === 0) return;
  const m = /line:? (\d+) failed/i.exec(r.stderr);
  const line = m ? text.split('\n')[Number(m[1]) - 1] : undefined;
  throw new KernelError(`${stage}: iptables-restore in ${op.netns} failed: ${kernelReason(r.stderr)}${line ? `\n  at: ${line}` : ''}`);
}

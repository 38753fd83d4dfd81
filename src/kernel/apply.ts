import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EnvironmentError, KernelError } from '../errors.js';
import { isToolOp, toolCommand } from '../plan/commands.js';
import type { Op, Stage } from '../plan/ops.js';
import { quote } from '../plan/shell.js';
import { agentLogFile } from '../state/paths.js';
import { startAgent } from './agent.js';
import { describeOutcome, failedBatchLine, kernelReason, missingFeature } from './failure.js';
import { mapLimit, run } from './run.js';

/** One process's worth of a stage: the ops of one namespace for one tool, in plan order. */
interface Job {
  key: string;
  ops: Op[];
}

/** What applying a stage learned that later commands need. */
export interface StageOutcome {
  agentPid?: number;
}

/**
 * Applies one stage: its ops grouped into one `ip -batch` (or `bridge -batch`,
 * or one sysctl call) per namespace, the groups run `concurrency` at a time.
 */
export async function applyStage(lab: string, stage: Stage, concurrency: number): Promise<StageOutcome> {
  const outcome: StageOutcome = {};
  await mapLimit(groupJobs(stage.ops), concurrency, async (job) => {
    const pid = await runJob(lab, stage, job);
    if (pid !== undefined) outcome.agentPid = pid;
  });
  return outcome;
}

export function groupJobs(ops: Op[]): Job[] {
  const jobs = new Map<string, Job>();
  for (const op of ops) {
    const key = jobKey(op);
    let job = jobs.get(key);
    if (!job) jobs.set(key, (job = { key, ops: [] }));
    job.ops.push(op);
  }
  return [...jobs.values()];
}

function jobKey(op: Op): string {
  if (isToolOp(op)) {
    const c = toolCommand(op);
    return `${c.tool} ${c.netns ?? '(host)'}`;
  }
  // The runtime's config file must be written before the runtime starts: one job.
  if (op.kind === 'file.write' || op.kind === 'process.start') return 'runtime';
  return `sysctl ${op.netns}`;
}

async function runJob(lab: string, stage: Stage, job: Job): Promise<number | undefined> {
  const first = job.ops[0]!;
  if (isToolOp(first)) {
    await runBatch(stage, job.ops);
    return undefined;
  }
  if (first.kind === 'sysctl.set') {
    await runSysctls(stage, job.ops);
    return undefined;
  }
  let pid: number | undefined;
  for (const op of job.ops) {
    if (op.kind === 'file.write') {
      await mkdir(dirname(op.path), { recursive: true });
      await writeFile(op.path, op.content);
    } else if (op.kind === 'process.start') {
      try {
        pid = await startAgent(op.netns, op.config, agentLogFile(lab));
      } catch (e) {
        throw new KernelError(`${stage.name}: starting the container runtime failed: ${(e as Error).message}`);
      }
    }
  }
  return pid;
}

async function runBatch(stage: Stage, ops: Op[]): Promise<void> {
  const commands = ops.filter(isToolOp).map(toolCommand);
  const { tool, netns } = commands[0]!;
  const args = [...(netns ? ['-n', netns] : []), '-batch', '-'];
  const r = await run(tool, args, { input: commands.map((c) => `${c.args.join(' ')}\n`).join('') });
  if (r.exitCode === 0) return;
  const line = failedBatchLine(r.stderr);
  const failed = line !== undefined ? commands[line - 1] : undefined;
  const what = failed ? quote([failed.tool, ...(failed.netns ? ['-n', failed.netns] : []), ...failed.args]) : describeOutcome(r);
  const feature = missingFeature(r.stderr);
  const message = `${stage.name}: ${what} failed: ${kernelReason(r.stderr)}`;
  throw feature ? new EnvironmentError(`${message}\n  ${feature}`) : new KernelError(message);
}

async function runSysctls(stage: Stage, ops: Op[]): Promise<void> {
  const settings = ops.flatMap((op) => (op.kind === 'sysctl.set' ? [`${op.key}=${op.value}`] : []));
  const netns = (ops[0] as { netns: string }).netns;
  const r = await run('ip', ['netns', 'exec', netns, 'sysctl', '-qw', ...settings]);
  if (r.exitCode !== 0) throw new KernelError(`${stage.name}: ${describeOutcome(r)}`);
}

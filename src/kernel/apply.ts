import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EnvironmentError, KernelError } from '../errors.js';
import { isToolOp, toolCommand } from '../plan/commands.js';
import type { Op, SysctlSet } from '../plan/ops.js';
import { quote } from '../plan/shell.js';
import type { Wave } from '../plan/waves.js';
import { SYSCTL_HELPER_PATH } from '../runtime-path.js';
import { agentLogFile } from '../state/paths.js';
import { startAgent } from './agent.js';
import { describeOutcome, failedBatchLine, kernelReason, missingFeature } from './failure.js';
import { mapLimit, run } from './run.js';

/** One process's worth of a wave: the ops of one namespace for one tool, in plan order. */
interface Job {
  key: string;
  ops: Op[];
}

/** What applying a wave learned that later commands need. */
export interface WaveOutcome {
  agentPid?: number;
}

/**
 * Applies one wave: its ops grouped into one `ip -batch` (or `bridge -batch`)
 * per namespace, all sysctls in one helper process, the groups run
 * `concurrency` at a time. Ops of one namespace keep their plan order.
 */
export async function applyWave(lab: string, wave: Wave, concurrency: number): Promise<WaveOutcome> {
  const outcome: WaveOutcome = {};
  const name = wave.stages.map((s) => s.name).join('+');
  await mapLimit(groupJobs(wave.stages.flatMap((s) => s.ops)), concurrency, async (job) => {
    const pid = await runJob(lab, name, job);
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
  return 'sysctl';
}

async function runJob(lab: string, stage: string, job: Job): Promise<number | undefined> {
  const first = job.ops[0]!;
  if (isToolOp(first)) {
    await runBatch(stage, job.ops);
    return undefined;
  }
  if (first.kind === 'sysctl.set') {
    await runSysctls(stage, job.ops as SysctlSet[]);
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
        throw new KernelError(`${stage}: starting the container runtime failed: ${(e as Error).message}`);
      }
    }
  }
  return pid;
}

async function runBatch(stage: string, ops: Op[]): Promise<void> {
  const commands = ops.filter(isToolOp).map(toolCommand);
  const { tool, netns } = commands[0]!;
  const args = [...(netns ? ['-n', netns] : []), '-batch', '-'];
  const r = await run(tool, args, { input: commands.map((c) => `${c.args.join(' ')}\n`).join('') });
  if (r.exitCode === 0) return;
  const line = failedBatchLine(r.stderr);
  const failed = line !== undefined ? commands[line - 1] : undefined;
  const what = failed ? quote([failed.tool, ...(failed.netns ? ['-n', failed.netns] : []), ...failed.args]) : describeOutcome(r);
  const feature = missingFeature(r.stderr);
  const message = `${stage}: ${what} failed: ${kernelReason(r.stderr)}`;
  throw feature ? new EnvironmentError(`${message}\n  ${feature}`) : new KernelError(message);
}

/** All sysctls of a wave in one process that enters each namespace in turn. */
async function runSysctls(stage: string, ops: SysctlSet[]): Promise<void> {
  const input = JSON.stringify(ops.map((op) => ({ netns: op.netns, key: op.key, value: op.value })));
  const r = await run('python3', [SYSCTL_HELPER_PATH], { input });
  if (r.exitCode === 0) return;
  const m = /^error: (\d+): (.*)$/m.exec(r.stderr);
  const op = m ? ops[Number(m[1])] : undefined;
  if (!op) throw new KernelError(`${stage}: setting sysctls failed: ${describeOutcome(r)}`);
  const what = quote(['ip', 'netns', 'exec', op.netns, 'sysctl', '-w', `${op.key}=${op.value}`]);
  throw new KernelError(`${stage}: ${what} failed: ${m![2]}`);
}

import { KernelError } from '../errors.js';
import { HELPER_PROTOCOL, PROBE_PATH } from '../runtime-path.js';
import { runLines } from './run.js';

/** A request to the prober (runtime/netlab-probe.py); `timeout` in seconds. */
export type Probe =
  | { id: number; kind: 'icmp'; netns: string; dst: string; count: number; size?: number; df?: boolean; timeout: number }
  | { id: number; kind: 'tcp' | 'udp'; netns: string; dst: string; port: number; timeout: number }
  | { id: number; kind: 'nat'; netns: string; dstNetns: string; dst: string; timeout: number };

export interface ProbeAnswer {
  hostname?: string;
  clientip?: string;
  container?: string;
}

export interface ProbeResult {
  id: number;
  ok: boolean;
  ms: number;
  error?: string;
  replies?: number;
  answer?: ProbeAnswer;
  seen?: string;
}

/** Probes run together, then the learned neighbour entries of `forget` deleted before the next round. */
export interface ProbeRound {
  probes: Probe[];
  forget: string[];
}

/**
 * Runs probes in one prober process started inside `homeNetns` (a lab
 * namespace, so nothing it does can reach the host's network). Results
 * stream back as they finish.
 */
export async function runProbes(
  homeNetns: string,
  probes: Probe[],
  options: { parallel?: number; onResult?: (r: ProbeResult) => void } = {},
): Promise<Map<number, ProbeResult>> {
  return runProbeRounds(homeNetns, [{ probes, forget: [] }], options);
}

/** Rounds of probes, one after the other, in one prober process; probe ids are unique across rounds. */
export async function runProbeRounds(
  homeNetns: string,
  rounds: ProbeRound[],
  options: { parallel?: number; onResult?: (r: ProbeResult) => void } = {},
): Promise<Map<number, ProbeResult>> {
  const results = new Map<number, ProbeResult>();
  const total = rounds.reduce((n, r) => n + r.probes.length, 0);
  if (total === 0) return results;
  const input = JSON.stringify({ protocol: HELPER_PROTOCOL, parallel: options.parallel ?? 256, rounds });
  const done = await runLines('ip', ['netns', 'exec', homeNetns, 'python3', PROBE_PATH], input, (line) => {
    const text = line.trim();
    if (!text.startsWith('{')) return;
    const r = JSON.parse(text) as ProbeResult;
    results.set(r.id, r);
    options.onResult?.(r);
  });
  if (results.size < total) {
    const how = done.signal ? `killed by ${done.signal}` : `exit ${done.exitCode}`;
    throw new KernelError(
      `the prober crashed (${how}) after ${results.size} of ${total} probes: ${done.stderr.trim().split('\n').slice(-3).join('; ') || 'no message'}`,
    );
  }
  return results;
}

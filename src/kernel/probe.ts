import { KernelError } from '../errors.js';
import { HELPER_PROTOCOL, PROBE_PATH, PYTHON } from '../runtime-path.js';
import { runLines } from './run.js';

/** A request to the prober (runtime/netlab-probe.py); `timeout` in seconds. */
export type Probe =
  | { id: number; kind: 'icmp'; netns: string; dst: string; count: number; size?: number; df?: boolean; timeout: number }
  | { id: number; kind: 'tcp' | 'udp'; netns: string; dst: string; port: number; timeout: number }
  | { id: number; kind: 'nat'; netns: string; dstNetns: string; dst: string; timeout: number }
  | {
      id: number;
      kind: 'http';
      netns: string;
      dst: string;
      port: number;
      method: string;
      path: string;
      host?: string;
      headers: Array<[string, string]>;
      /** https: the CA file the server's certificate must chain to; SNI is the host. */
      tls?: { ca: string };
      timeout: number;
    };

/** An HTTP answer as the prober read it: header names lowercased, repeated ones joined by ', '. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

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
  http?: HttpAnswer;
}

/** Probes run together, then the learned neighbour entries of `forget` deleted before the next round. */
export interface ProbeRound {
  probes: Probe[];
  forget: string[];
}

/** The prober's first line (runtime/protocol.json `probe.header`). */
export function probeHeader(parallel: number): string {
  return `${JSON.stringify({ protocol: HELPER_PROTOCOL, parallel })}\n`;
}

/** A round's line to the prober (runtime/protocol.json `probe.round`). */
export function probeRoundLine(round: ProbeRound): string {
  return `${JSON.stringify(round)}\n`;
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
  const results = new Map<number, ProbeResult>();
  if (probes.length === 0) return results;
  await runProbeRounds(homeNetns, [{ probes, forget: [] }], {
    ...options,
    onResult: (r) => {
      results.set(r.id, r);
      options.onResult?.(r);
    },
  });
  return results;
}

/**
 * Rounds of probes, one after the other, in one prober process; probe ids
 * are unique across rounds. The rounds are made as the prober asks for them
 * (a line each on its stdin), so 10,000 pods' probes are never all in
 * memory; results go to `onResult` only.
 */
export async function runProbeRounds(
  homeNetns: string,
  rounds: Iterable<ProbeRound>,
  options: { parallel?: number; onResult: (r: ProbeResult) => void },
): Promise<void> {
  let sent = 0;
  let received = 0;
  function* lines(): Generator<string> {
    yield probeHeader(options.parallel ?? 256);
    for (const round of rounds) {
      sent += round.probes.length;
      yield probeRoundLine(round);
    }
  }
  const done = await runLines('ip', ['netns', 'exec', homeNetns, PYTHON, PROBE_PATH], lines(), (line) => {
    const text = line.trim();
    if (!text.startsWith('{')) return;
    received++;
    options.onResult(JSON.parse(text) as ProbeResult);
  });
  if (received < sent || done.exitCode !== 0) {
    const how = done.signal ? `killed by ${done.signal}` : `exit ${done.exitCode}`;
    throw new KernelError(
      `the prober crashed (${how}) after ${received} of ${sent} probes: ${done.stderr.trim().split('\n').slice(-3).join('; ') || 'no message'}`,
    );
  }
}

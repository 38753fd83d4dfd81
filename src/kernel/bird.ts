import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError, UsageError } from '../errors.js';
import { birdcCommandProblem } from '../lab/birdc-command.js';
import type { LiveBgpSession } from '../plan/live.js';
import type { BgpEstablish } from '../plan/ops.js';
import { ipJson, run, runAttached } from './run.js';

/** One line of BIRD's `show protocols`. */
export interface BirdProtocol {
  name: string;
  proto: string;
  /** BIRD's protocol state: up, down (disabled or stopped), start, stop. */
  state: string;
  /** For BGP: the session's state (Idle, Connect, Active, OpenSent, OpenConfirm, Established) and any error. */
  info: string;
}

/** Parses `birdc show protocols` (with `timeformat protocol "%T"`, so Since is one word). */
export function parseBirdProtocols(text: string): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(up|down|start|stop|flush)\s+(\S+)\s*(.*)$/.exec(line.trimEnd());
    if (!m || m[1] === 'Name') continue;
    out.push({ name: m[1]!, proto: m[2]!, state: m[4]!, info: m[6]!.trim() });
  }
  return out;
}

/** A BGP session is up when BIRD's info column says so. */
export function isEstablished(p: BirdProtocol | undefined): boolean {
  return p !== undefined && p.state === 'up' && p.info.startsWith('Established');
}

/** How a session stands, in BIRD's words: `Established`, `Active (Socket: Connection refused)`, `down (disabled)`. */
export function describeSession(p: BirdProtocol | undefined): string {
  if (!p) return 'unknown to BIRD';
  if (p.state === 'down') return `down${p.info ? ` (${p.info})` : ' (disabled)'}`;
  const [first, ...rest] = p.info.split(/\s{2,}/);
  return rest.length > 0 ? `${first} (${rest.join('; ')})` : first || p.state;
}

/** Runs birdc against one node's daemon; undefined when the daemon does not answer. */
export async function birdc(socket: string, args: string[]): Promise<string | undefined> {
  const r = await run('birdc', ['-s', socket, ...args], { timeoutMs: 5000 });
  return r.exitCode === 0 && !/^Unable to connect/m.test(r.stdout + r.stderr) ? r.stdout : undefined;
}

/** Every protocol of a node's BIRD, or undefined when it does not answer (not running). */
export async function birdProtocols(socket: string): Promise<BirdProtocol[] | undefined> {
  const text = await birdc(socket, ['show', 'protocols']);
  return text === undefined ? undefined : parseBirdProtocols(text);
}

/** A node's BGP sessions as its BIRD reports them; undefined when BIRD does not answer. */
export async function bgpSessionsAt(socket: string): Promise<LiveBgpSession[] | undefined> {
  const protocols = await birdProtocols(socket);
  return protocols?.filter((p) => p.proto === 'BGP').map((p) => ({ name: p.name, established: isEstablished(p), state: describeSession(p) }));
}

/** The routes BIRD installed in a namespace (`proto bird`): destination to next hops (none for a blackhole). */
export async function birdRoutes(netns: string): Promise<Map<string, string[]>> {
  const routes = await ipJson<Array<{ dst: string; gateway?: string; nexthops?: Array<{ gateway?: string }> }>>(netns, ['route', 'show', 'proto', 'bird']);
  return new Map(
    routes.map((r) => [
      r.dst.includes('/') ? r.dst : `${r.dst}/32`,
      (r.nexthops?.map((h) => h.gateway) ?? [r.gateway]).filter((g): g is string => g !== undefined).sort(),
    ]),
  );
}

/**
 * Enables any planned session someone disabled, then waits until every one is
 * Established and every planned route is in the kernel. Past the deadline it
 * names each session that is not up, in BIRD's words, and each missing route.
 */
export async function establishBgp(op: BgpEstablish): Promise<void> {
  const deadline = Date.now() + op.timeoutMs;
  let enabled = false;
  for (;;) {
    const protocols = await birdProtocols(op.socket);
    const byName = new Map((protocols ?? []).map((p) => [p.name, p]));
    if (protocols && !enabled) {
      enabled = true;
      const disabled = op.sessions.filter((s) => byName.get(s.name)?.state === 'down').map((s) => s.name);
      for (const name of disabled) await birdc(op.socket, ['enable', name]);
      if (disabled.length > 0) continue;
    }
    const routes = await birdRoutes(op.netns);
    const down = op.sessions.filter((s) => !isEstablished(byName.get(s.name)));
    const missing = op.routes.filter((r) => !routes.has(r));
    const short = Object.entries(op.nexthops ?? {}).filter(([dst, via]) => routes.has(dst) && via.some((v) => !routes.get(dst)!.includes(v)));
    missing.push(...short.map(([dst, via]) => `${dst} via ${via.join(', ')} (has ${routes.get(dst)!.join(', ') || 'none'})`));
    if (protocols && down.length === 0 && missing.length === 0) return;
    if (Date.now() >= deadline) {
      const why = !protocols
        ? ['BIRD does not answer on its control socket']
        : [
            ...down.map((s) => `session ${s.name} to ${peerWords(s.peerNode)} (${s.peer}) is ${describeSession(byName.get(s.name))}`),
            ...missing.map((r) => `no route to ${r} installed`),
          ];
      throw new KernelError(
        `${op.node === 'external' ? 'the router (external)' : `node ${op.node}`}: BGP did not converge within ${op.timeoutMs / 1000} s:\n  ${why.join('\n  ')}\n  BIRD's log: ${op.log}`,
      );
    }
    await sleep(100);
  }
}

/**
 * birdc with the terminal attached, for one allowed command (never the
 * interactive prompt, which takes any command); returns its exit code.
 * Checked here too: a caller that skipped the CLI's check still cannot
 * reach another socket or `configure`.
 */
export function runBirdc(socket: string, args: string[]): Promise<number> {
  const problem = birdcCommandProblem(args);
  if (problem) throw new UsageError(`bgp: ${problem}`);
  return runAttached('birdc', ['-s', socket, ...args]);
}

/** Who is at the other end of a session, in words: a node, or the router outside the cluster. */
export function peerWords(peerNode: string): string {
  return peerNode === 'external' ? 'the router (external)' : `node ${peerNode}`;
}

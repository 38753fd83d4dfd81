import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { KernelError, UsageError } from '../errors.js';
import { isPluginName } from '../lab/conflist.js';
import { pluginConfig, pluginEnv } from '../plan/cni-config.js';
import { cniResultsDir } from '../plan/cni.js';
import type { CniAdd } from '../plan/ops.js';
import { ensurePrivateDir, writePrivateFile } from './files.js';
import { findExecutable } from './preflight.js';
import { run } from './run.js';

/** What libcni keeps of an attachment: everything DEL and CHECK need, without the plan. */
export interface CniCache {
  kind: 'netlab-cni-cache';
  version: 1;
  op: CniAdd;
  result: Record<string, unknown>;
}

/** A plugin's answer: its result, or the error object of the CNI spec. */
type PluginOutcome = { ok: true; result: Record<string, unknown> } | { ok: false; code: number | undefined; msg: string; details?: string };

/**
 * The first directory of CNI_PATH holding the plugin, as libcni's FindInPath
 * looks for it. The name was checked when the lab was validated; it is
 * checked again here, where it is executed as root, and the file found must
 * sit directly in one of the directories (no name can step out of them).
 */
export async function findPlugin(type: string, dirs: string[]): Promise<string> {
  if (!isPluginName(type)) throw new UsageError(`CNI plugin type ${JSON.stringify(type).slice(0, 80)} is not a plain binary name: refused`);
  const file = await findExecutable(type, dirs);
  if (file === undefined) throw new KernelError(`CNI plugin "${type}" is in none of ${dirs.join(', ')}`);
  if (!dirs.some((dir) => isAbsolute(dir) && dirname(file) === resolve(dir) && basename(file) === type))
    throw new UsageError(`CNI plugin "${type}" resolved to ${file}, outside ${dirs.join(', ')}: refused`);
  return file;
}

async function execPlugin(op: CniAdd, command: 'ADD' | 'DEL' | 'CHECK', conf: Record<string, unknown>): Promise<PluginOutcome> {
  const binary = await findPlugin(String(conf.type), op.cniPath);
  const r = await run('ip', ['netns', 'exec', op.netns, binary], { input: JSON.stringify(conf), env: pluginEnv(op, command), timeoutMs: 30_000 });
  let answer: Record<string, unknown> = {};
  try {
    answer = r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
  } catch {
    // Not JSON: the error below quotes what it said.
  }
  if (r.exitCode === 0) return { ok: true, result: answer };
  const msg = typeof answer.msg === 'string' ? answer.msg : (r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`).split('\n').slice(-2).join('; ');
  return {
    ok: false,
    code: typeof answer.code === 'number' ? answer.code : undefined,
    msg,
    ...(typeof answer.details === 'string' && answer.details ? { details: answer.details } : {}),
  };
}

function failure(op: CniAdd, command: string, type: string, o: Extract<PluginOutcome, { ok: false }>): KernelError {
  const code = o.code !== undefined ? ` (code ${o.code})` : '';
  return new KernelError(
    `CNI ${command} of pod ${op.pod} (${op.network}, ${op.ifname}): plugin ${type} failed${code}: ${o.msg}${o.details ? `; ${o.details}` : ''}`,
  );
}

/**
 * ADD, as libcni's AddNetworkList: the plugins in order, each given the
 * previous one's result; the last result is cached. An address other than
 * the planned one is an error: netlab's tests aim at the planned addresses.
 */
export async function cniAdd(planned: CniAdd): Promise<Record<string, unknown>> {
  // Attached before (a repair): DEL first, as a runtime recreating a sandbox does, then ask for the same address
  // (host-local takes IP= in CNI_ARGS), since host-local would otherwise hand out the next one.
  const stale = await cniCacheOf(planned.cacheFile);
  if (stale) await cniDel(stale);
  const op = stale && planned.expectAddress ? { ...planned, args: `${planned.args};IP=${planned.expectAddress.split('/')[0]}` } : planned;
  // Cached before the first plugin runs: if one fails half-way, the rollback's DEL still finds the attachment.
  await ensurePrivateDir(dirname(op.cacheFile));
  await writePrivateFile(op.cacheFile, `${JSON.stringify({ kind: 'netlab-cni-cache', version: 1, op, result: {} } satisfies CniCache)}\n`);
  let prev: Record<string, unknown> | undefined;
  for (const plugin of op.plugins) {
    const o = await execPlugin(op, 'ADD', pluginConfig(op, plugin, prev));
    if (!o.ok) throw failure(op, 'ADD', plugin.type, o);
    prev = o.result;
  }
  const result = prev ?? {};
  // The result is cached before it is judged: a rollback's DEL must find what was made.
  const cache: CniCache = { kind: 'netlab-cni-cache', version: 1, op, result };
  await writePrivateFile(op.cacheFile, `${JSON.stringify(cache)}\n`);
  if (op.expectAddress) {
    const ips = Array.isArray(result.ips) ? (result.ips as Array<{ address?: string }>).map((i) => i.address) : [];
    if (!ips.includes(op.expectAddress)) {
      throw new KernelError(
        `CNI ADD of pod ${op.pod}: the plugins gave it ${ips.join(', ') || 'no address'}, netlab planned ${op.expectAddress} ` +
          '(netlab tests the addresses it plans: IPAM must hand out the node subnet in order, from its .2, as host-local does)',
      );
    }
  }
  return result;
}

/** CHECK, as libcni's CheckNetworkList: every plugin in order, each given the cached result. */
export async function cniCheck(cache: CniCache): Promise<{ ok: true } | { ok: false; message: string }> {
  for (const plugin of cache.op.plugins) {
    const o = await execPlugin(cache.op, 'CHECK', pluginConfig(cache.op, plugin, cache.result));
    if (!o.ok) return { ok: false, message: failure(cache.op, 'CHECK', plugin.type, o).message };
  }
  return { ok: true };
}

/** DEL, as libcni's DelNetworkList: the plugins in reverse, each given the cached result; then the cache goes. Idempotent. */
export async function cniDel(cache: CniCache): Promise<void> {
  for (const plugin of [...cache.op.plugins].reverse()) {
    const o = await execPlugin(cache.op, 'DEL', pluginConfig(cache.op, plugin, cache.result));
    if (!o.ok) throw failure(cache.op, 'DEL', plugin.type, o);
  }
  await rm(cache.op.cacheFile, { force: true });
}

/** Every cached attachment under a state directory, newest first (the order DEL takes them). */
export async function cniCaches(stateDir: string): Promise<CniCache[]> {
  const dir = cniResultsDir(stateDir);
  const caches: CniCache[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const cache = await cniCacheOf(join(dir, name));
    if (cache) caches.push(cache);
  }
  return caches.sort((a, b) => b.op.order - a.op.order);
}

/**
 * The cached attachment in one file, if it is one. A cache half written
 * when the build died holds nothing DEL could name, and reads as none.
 */
export async function cniCacheOf(cacheFile: string): Promise<CniCache | undefined> {
  try {
    const c = JSON.parse(await readFile(cacheFile, 'utf8')) as CniCache;
    return c.kind === 'netlab-cni-cache' && c.version === 1 ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * DEL for every cached attachment, newest first; a failure is reported and
 * the rest still go. Returns what failed, in words.
 */
export async function cniDelAll(stateDir: string): Promise<string[]> {
  const failures: string[] = [];
  for (const cache of await cniCaches(stateDir)) {
    try {
      await cniDel(cache);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  return failures;
}

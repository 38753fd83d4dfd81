import { readdir, rm, stat } from 'node:fs/promises';
import { KernelError } from '../errors.js';
import { NETNS_PREFIX } from '../lab/defaults.js';
import { ifAbsent } from './files.js';
import { run } from './run.js';

/** Where `ip netns` keeps its bind mounts. */
export const NETNS_DIR = '/run/netns';

/** Every named network namespace on the host, by reading iproute2's directory. */
export async function listNetns(): Promise<string[]> {
  return (await readdir(NETNS_DIR).catch(ifAbsent([] as string[]))).sort();
}

/** netlab's namespaces, all of them or those of one lab. */
export async function listNetlabNetns(lab?: string): Promise<string[]> {
  const prefix = lab === undefined ? NETNS_PREFIX : `${NETNS_PREFIX}${lab}.`;
  return (await listNetns()).filter((n) => n.startsWith(prefix));
}

/** The namespace's identity (the nsfs inode), to match against /proc/PID/ns/net. */
export async function netnsInode(name: string): Promise<number | undefined> {
  return stat(`${NETNS_DIR}/${name}`).then((s) => s.ino, ifAbsent(undefined));
}

/**
 * Deletes namespaces in one `ip -batch`; `-force` goes on past one that is
 * already gone. The kernel frees each namespace lazily once its last user is
 * gone: we do not wait for that.
 */
export async function deleteNetns(names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const r = await run('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns delete ${n}\n`).join('') });
  const left = new Set(await listNetns());
  const failed = names.filter((n) => left.has(n));
  if (failed.length > 0 && r.exitCode !== 0) {
    throw new KernelError(`could not delete namespace ${failed.join(', ')}: ${r.stderr.trim() || `ip exited ${r.exitCode}`}`);
  }
  return names;
}

/**
 * A command run in a namespace's network and nothing else, as
 * `nsenter --net=/run/netns/NAME`. `ip -n NAME` and `ip netns exec` also give
 * the command a mount namespace of its own (to show the namespace's /sys),
 * a copy of every mount on the host: with a large lab's thousands of
 * namespace mounts each copy costs 28 ms (3 ms for nsenter, at 10,000 pods).
 * For iproute2 batches, which speak only netlink, the network is enough.
 */
export function enteringNetns(netns: string, argv: string[]): [string, string[]] {
  return ['nsenter', [`--net=${NETNS_DIR}/${netns}`, '--', ...argv]];
}

/** Where `ip netns exec` finds a namespace's own /etc files (resolv.conf), bind-mounted over /etc. */
export const NETNS_ETC_DIR = '/etc/netns';

/** The /etc/netns directories of these namespaces are removed (a pod's resolv.conf); found by name, so a crash leaves none. */
export async function removeNetnsEtc(prefix: string, exact = false): Promise<string[]> {
  const names = (await readdir(NETNS_ETC_DIR).catch(ifAbsent([] as string[]))).filter((n) => (exact ? n === prefix : n.startsWith(prefix)));
  await Promise.all(names.map((n) => rm(`${NETNS_ETC_DIR}/${n}`, { recursive: true, force: true })));
  return names;
}

import * as crypto from 'node:crypto';
import { MAX_IFNAME, NETNS_PREFIX } from './defaults.js';
import { labSchema } from './schema-file.js';

/*
 * Namespace names are `netlab.<lab>.<kind>.<object>`. Lab and object names are
 * DNS labels, which cannot hold a dot, so the dots make the mapping one-to-one:
 * lab `a` + node `b-c` and lab `a-b` + node `c` can never meet.
 */

export function labPrefix(lab: string): string {
  return `${NETNS_PREFIX}${lab}.`;
}

export function fabricNetns(lab: string): string {
  return `${labPrefix(lab)}fabric`;
}

export function nodeNetns(lab: string, node: string): string {
  return `${labPrefix(lab)}node.${node}`;
}

/** A pod's namespace: `pod.NAME`, or `pod.NAMESPACE.NAME` outside Kubernetes' default namespace. */
export function podNetns(lab: string, pod: string): string {
  return `${labPrefix(lab)}pod.${pod.replace('/', '.')}`;
}

export function externalNetns(lab: string): string {
  return `${labPrefix(lab)}external`;
}

/** The lab a netlab namespace belongs to, or undefined for someone else's. */
export function labOfNetns(netns: string): string | undefined {
  if (!netns.startsWith(NETNS_PREFIX)) return undefined;
  const lab = netns.slice(NETNS_PREFIX.length).split('.')[0];
  return lab || undefined;
}

/**
 * sha256 of a seed, in hex. Every command resolves the lab again, and a
 * 10,000-pod lab hashes 30,000 names: the one-shot hash (Node 20.12 and
 * later) to a hex string costs a third of createHash to a Buffer.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
function hexDigest(seed: string): string {
  return oneShot ? oneShot('sha256', seed, 'hex') : crypto.createHash('sha256').update(seed).digest('hex');
}

/** 8 hex characters from a seed, as the CNI bridge plugin names host veths. */
export function shortHash(seed: string): string {
  return hexDigest(seed).slice(0, 8);
}

/**
 * A stable, locally administered unicast MAC. Deterministic MACs make the
 * plan pure (flannel.1's MAC goes into other nodes' neighbour and FDB
 * entries) and the lab's output the same on every run.
 */
export function stableMac(seed: string): string {
  const hex = hexDigest(`mac:${seed}`);
  const first = ((parseInt(hex.slice(0, 2), 16) & 0xfc) | 0x02).toString(16).padStart(2, '0');
  return `${first}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}

/**
 * Picks `base` for an interface name, or a hashed one when it does not fit or
 * is taken. `taken` is updated. Deterministic for the same order of calls.
 */
export function uniqueIfname(taken: Set<string>, seed: string, prefix: string, base?: string): string {
  if (base && base.length <= MAX_IFNAME && !taken.has(base)) {
    taken.add(base);
    return base;
  }
  for (let salt = 0; ; salt++) {
    const name = `${prefix}${shortHash(salt === 0 ? seed : `${seed}#${salt}`)}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

/** A lab name as the schema allows it: a short DNS label (the limits are the schema's own). */
export const LAB_NAME_PATTERN = new RegExp(labSchema().properties.name.pattern);
export const MAX_LAB_NAME = labSchema().properties.name.maxLength;
/** Node, pod and container names: DNS labels. */
export const OBJECT_NAME_PATTERN = new RegExp(labSchema().definitions.name.pattern);
export const MAX_OBJECT_NAME = labSchema().definitions.name.maxLength;

/** Why `name` cannot be a lab name, or undefined when it can. Guards every place a name is taken. */
export function labNameProblem(name: string): string | undefined {
  if (name.length > MAX_LAB_NAME) return `"${name.slice(0, 40)}…" is longer than ${MAX_LAB_NAME} characters`;
  if (!LAB_NAME_PATTERN.test(name)) return `${JSON.stringify(name)} is not a lab name (lowercase letters, digits and '-', starting with a letter)`;
  return undefined;
}

export function objectNameProblem(name: string): string | undefined {
  if (name.length > MAX_OBJECT_NAME || !OBJECT_NAME_PATTERN.test(name)) {
    return `${JSON.stringify(name.slice(0, 70))} is not a node or pod name (a DNS label: lowercase letters, digits and '-')`;
  }
  return undefined;
}

/** What a netlab namespace holds, for people: `pod1`, `node1`, `fabric`; others keep their name. */
export function describeNetns(netns: string): { kind: 'pod' | 'node' | 'fabric' | 'external' | 'other'; name: string } {
  const parts = netns.startsWith(NETNS_PREFIX) ? netns.slice(NETNS_PREFIX.length).split('.') : [];
  if (parts.length === 2 && parts[1] === 'fabric') return { kind: 'fabric', name: 'fabric' };
  if (parts.length === 2 && parts[1] === 'external') return { kind: 'external', name: 'external' };
  if (parts.length === 4 && parts[1] === 'pod') return { kind: 'pod', name: `${parts[2]}/${parts[3]}` };
  if (parts.length === 3 && (parts[1] === 'pod' || parts[1] === 'node')) return { kind: parts[1], name: parts[2]! };
  return { kind: 'other', name: netns };
}

/**
 * Calico's host-side veth name (libcalico-go VethNameForWorkload): `cali` and
 * the first 11 hex digits of sha1("NAMESPACE.POD"), 15 characters.
 */
export function calicoVethName(namespace: string, pod: string): string {
  return `cali${crypto.createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11)}`;
}

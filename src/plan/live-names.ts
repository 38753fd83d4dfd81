import { describeNetns } from '../lab/names.js';
import type { LiveLink, LiveNetns } from './live.js';

/** A namespace as `status` names it: `node node1`, `pod web-0`, `fabric`. */
export function place(netns: string): string {
  const d = describeNetns(netns);
  return d.kind === 'other' ? netns : d.kind === 'fabric' || d.kind === 'external' ? d.kind : `${d.kind} ${d.name}`;
}

/** Each namespace's links by name, made once: a node of 250 pods is asked for its links some 1,500 times. */
const linksByName = new WeakMap<LiveNetns, Map<string, LiveLink>>();

export function linkNamed(ns: LiveNetns, name: string): LiveLink | undefined {
  let byName = linksByName.get(ns);
  if (!byName) linksByName.set(ns, (byName = new Map(ns.links.map((l) => [l.name, l]))));
  return byName.get(name);
}

import type { RawLab } from './raw.js';

/** Kubernetes puts what names no namespace in `default`. */
export const DEFAULT_NAMESPACE = 'default';
/** The label Kubernetes sets on every namespace (since 1.21): what namespaceSelectors match on. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** How the lab names a namespaced object: NAME in `default`, NAMESPACE/NAME elsewhere. */
export function podRef(namespace: string, name: string): string {
  return namespace === DEFAULT_NAMESPACE ? name : `${namespace}/${name}`;
}

/** A Kubernetes namespace of the lab, with its labels. */
export interface Namespace {
  name: string;
  labels: Record<string, string>;
}

/**
 * Every namespace of the lab: the listed ones, then any a pod or service
 * names, then `default`; each labelled with its own name, as Kubernetes does.
 */
export function namespacesOf(raw: RawLab): Namespace[] {
  const listed = new Map((raw.namespaces ?? []).map((n) => [n.name, n.labels ?? {}]));
  const named = [
    DEFAULT_NAMESPACE,
    ...(raw.pods ?? []).map((p) => p.namespace),
    ...(raw.services ?? []).map((s) => s.namespace),
    ...(raw.policies ?? []).map((p) => p.namespace),
  ];
  for (const name of named) if (name !== undefined && !listed.has(name)) listed.set(name, {});
  return [...listed].map(([name, labels]) => ({ name, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name } }));
}

/** `default/NAME` is how the README writes a pod of the default namespace; the lab calls it NAME. */
export function canonicalRef(text: string): string {
  return text.startsWith(`${DEFAULT_NAMESPACE}/`) ? text.slice(DEFAULT_NAMESPACE.length + 1) : text;
}

/**
 * A pod named in a test or a command: NAMESPACE/NAME exactly, or a bare NAME
 * when one pod alone has it. Undefined with the candidates when it is ambiguous.
 */
export function findByRef<T extends { name: string; podName: string }>(items: readonly T[], text: string): { found?: T; ambiguous?: T[] } {
  const ref = canonicalRef(text);
  const exact = items.find((p) => p.name === ref);
  if (exact) return { found: exact };
  if (text.includes('/')) return {};
  const bare = items.filter((p) => p.podName === text);
  if (bare.length === 1) return { found: bare[0]! };
  return bare.length > 1 ? { ambiguous: bare } : {};
}

import type { Lab } from './types.js';

/**
 * The part of a lab that is kernel state: what `up` compares with a running lab.
 * NetworkPolicies and Ingresses are not part of it either: they change on a
 * running lab (`up` reloads the policy tables and nginx); the controller is.
 */
export function networkOf(lab: Lab): Omit<Lab, 'tests' | 'description' | 'source' | 'sourceText' | 'warnings' | 'policies' | 'ingress' | 'gateway'> & {
  ingress: { controller: Lab['ingress']['controller'] };
} {
  // Gateways and routes are nginx configuration, like Ingresses: their pods and Services are in `pods` and `services`.
  const {
    tests: _tests,
    description: _description,
    source: _source,
    sourceText: _text,
    warnings: _warnings,
    policies: _policies,
    ingress,
    gateway: _gateway,
    ...network
  } = lab;
  return { ...network, ingress: { controller: ingress.controller } };
}

/**
 * Where two labs' networks differ, as readable lines (`pods[2].ip:
 * 10.244.0.4 → 10.244.0.5`), at most `limit` of them. Tests, description and
 * file path are not part of the network.
 */
export function diffNetworks(running: Lab, wanted: Lab, limit = 10): string[] {
  const out: string[] = [];
  walk(networkOf(running), networkOf(wanted), '', out, limit);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${a.length} → ${b.length} entries`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out, limit);
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out, limit);
    return;
  }
  if (a !== b) out.push(`${path}: ${show(a)} → ${show(b)}`);
}

function show(v: unknown): string {
  return v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
}

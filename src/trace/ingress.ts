import { nginxServers, type NginxLocation, type NginxServer } from '../plan/ingress-nginx.js';
import type { Lab } from '../lab/types.js';

/** What nginx does with one request, and why, in nginx's own order of decisions. */
export interface NginxDecision {
  server: NginxServer;
  /** How the server was chosen: the Host header's exact name, a wildcard, or the default server. */
  serverWhy: string;
  location: NginxLocation | undefined;
  locationWhy: string;
  outcome:
    | { kind: 'proxy'; upstream: string; service: string; endpoints: Array<{ pod: string; ip: string; port: number }> }
    | { kind: 'status'; status: number }
    | { kind: 'redirect'; status: 301; location: string };
}

/**
 * nginx's choice for a request, on the servers netlab wrote (the same
 * function renders them): the server by name (exact, then wildcard, then the
 * default server: ngx_http_find_virtual_server), then the location (an exact
 * `=` match; else a URI that is a proxied prefix location without its
 * trailing slash answers 301, nginx's auto-redirect; else the longest
 * matching prefix: ngx_http_core_find_static_location).
 */
export function nginxDecision(lab: Lab, hostHeader: string | undefined, target: string): NginxDecision {
  const servers = nginxServers(lab.ingress.ingresses, { naive: lab.ingress.controller?.rendering === 'naive' });
  const host = (hostHeader ?? '').split(':')[0]!.toLowerCase();
  const path = target.split('?')[0]!;
  const exactServer = servers.find((s) => s.host === host && !host.startsWith('*.'));
  // buildServerName's regex: exactly one label before the wildcard's suffix.
  const oneLabel = (suffix: string) => host.endsWith(suffix) && /^[\w-]+$/.test(host.slice(0, host.length - suffix.length));
  const wildcard = servers.find((s) => s.host.startsWith('*.') && oneLabel(s.host.slice(1)));
  const server = exactServer ?? wildcard ?? servers.find((s) => s.host === '_')!;
  const serverWhy = exactServer
    ? `server_name ${server.serverName}: the Host header's name`
    : wildcard
      ? `server_name ${server.serverName}: ${server.host} matches ${host}, one label`
      : `no server_name is ${host || '(no Host)'}: the default server`;
  const exact = server.locations.find((l) => l.modifier === '=' && l.path === path);
  if (exact) return decide(lab, server, serverWhy, exact, `location = "${exact.path}": an exact match, which nginx takes first (${exact.why})`);
  const slashed = server.locations.find((l) => l.path === `${path}/` && 'upstream' in l.to);
  if (slashed)
    return {
      server,
      serverWhy,
      location: slashed,
      locationWhy: `location ${slashed.modifier ? '= ' : ''}"${slashed.path}" ends in / and proxies, and no location is exactly ${path}: nginx's auto-redirect`,
      outcome: { kind: 'redirect', status: 301, location: `${path}/` },
    };
  const prefixes = server.locations.filter((l) => l.modifier === '' && path.startsWith(l.path)).sort((a, b) => b.path.length - a.path.length);
  const best = prefixes[0];
  if (!best) return { server, serverWhy, location: undefined, locationWhy: 'no location matches', outcome: { kind: 'status', status: 404 } };
  const others = prefixes.slice(1).map((l) => `"${l.path}"`);
  return decide(
    lab,
    server,
    serverWhy,
    best,
    `location "${best.path}": the longest matching prefix${others.length ? ` (over ${others.join(', ')})` : ''} (${best.why})`,
  );
}

function decide(lab: Lab, server: NginxServer, serverWhy: string, location: NginxLocation, locationWhy: string): NginxDecision {
  const to = location.to;
  if (!('upstream' in to)) return { server, serverWhy, location, locationWhy, outcome: { kind: 'status', status: to.status } };
  const backends = lab.ingress.ingresses.flatMap((i) => [
    ...(i.defaultBackend ? [i.defaultBackend] : []),
    ...i.rules.flatMap((r) => r.paths.map((p) => p.backend)),
  ]);
  const endpoints = backends.find((b) => b.upstream === to.upstream)?.endpoints ?? [];
  return { server, serverWhy, location, locationWhy, outcome: { kind: 'proxy', upstream: to.upstream, service: to.service, endpoints } };
}

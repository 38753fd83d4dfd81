import { nginxServers, type NginxLocation, type NginxServer } from '../plan/ingress-nginx.js';
import type { GatewayModel, Lab, RouteMatch } from '../lab/types.js';
import { gatewayLocations } from '../plan/gateway-nginx.js';

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
  // use-regex on the host: every location is `~* "^P"`, and nginx takes the first that matches, in ingress-nginx's order.
  if (server.locations.some((l) => l.modifier === '~*')) {
    const regex = server.locations.find((l) => new RegExp(`^${l.path}`, 'i').test(path));
    if (!regex) return { server, serverWhy, location: undefined, locationWhy: 'no location matches', outcome: { kind: 'status', status: 404 } };
    // nginx's rewrite: the whole URI becomes the target, $1..$9 the groups of the path's regex (the query kept).
    const groups = regex.rewrite ? new RegExp(regex.rewrite.pattern, 'i').exec(path) : null;
    const rewritten = groups ? regex.rewrite!.target.replace(/\$(\d)/g, (_, d: string) => groups[Number(d)] ?? '') : undefined;
    return decide(
      lab,
      server,
      serverWhy,
      regex,
      `location ~* "^${regex.path}": the first case-insensitive regex that matches, longest path first (use-regex or rewrite-target on an Ingress of this host makes every location of it a regex) (${regex.why})${rewritten !== undefined ? `; rewrite "(?i)${regex.rewrite!.pattern}" ${regex.rewrite!.target}: the backend receives ${rewritten}` : ''}`,
    );
  }
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

/** What a Gateway's nginx does with one request, and why: the server, the location, the match that held. */
export interface GatewayDecision {
  serverWhy: string;
  locationWhy: string;
  matchWhy: string;
  action: RouteMatch['action'] | { kind: 'status'; status: 404; why: string };
}

/**
 * A Gateway's choice for a request, on the matches netlab wrote its config
 * from: the server (the Host's exact name, else the longest wildcard that
 * covers it, else the port's catch-all), the location (exact first, else the
 * longest prefix), then the first match in the spec's precedence whose
 * method, headers and query parameters hold.
 */
export function gatewayDecision(
  gateway: GatewayModel,
  port: number,
  hostHeader: string | undefined,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): GatewayDecision {
  const host = (hostHeader ?? '').split(':')[0]!.toLowerCase();
  const [path, query] = [target.split('?')[0]!, new URLSearchParams(target.split('?')[1] ?? '')];
  const servers = gateway.servers.filter((s) => s.port === port);
  const exact = servers.find((s) => s.hostname === host);
  const wild = servers
    .filter((s) => s.hostname.startsWith('*.') && host.endsWith(s.hostname.slice(1)) && host.length > s.hostname.length - 1)
    .sort((a, b) => b.hostname.length - a.hostname.length)[0];
  const server = exact ?? wild ?? servers.find((s) => s.hostname === '');
  const none = (why: string, locationWhy = ''): GatewayDecision => ({
    serverWhy: why,
    locationWhy,
    matchWhy: '',
    action: { kind: 'status', status: 404, why },
  });
  if (!server) return none(`no server_name is ${host || '(no Host)'} and no route takes every host: the default server answers 404`);
  const serverWhy = exact
    ? `server_name ${host}: the Host header's name`
    : wild
      ? `server_name ${wild.hostname}: covers ${host}`
      : "the port's catch-all server (a route and listener with no hostname)";
  const locations = gatewayLocations(server.matches);
  // nginx: an exact location; else the first regex location that matches (over any prefix); else the longest prefix.
  const regex = locations.filter((l) => l.modifier === '~').find((l) => new RegExp(l.path.startsWith('^') ? l.path : `^${l.path}`).test(path));
  const loc =
    locations.find((l) => l.modifier === '=' && l.path === path) ??
    regex ??
    locations.filter((l) => l.modifier === '' && path.startsWith(l.path)).sort((a, b) => b.path.length - a.path.length)[0]!;
  const locationWhy =
    loc.modifier === '='
      ? `location = "${loc.path}": an exact match`
      : loc.modifier === '~'
        ? `location ~ "${loc.path}": the first regular expression that matches (nginx takes it over any prefix)`
        : `location "${loc.path}": the longest matching prefix`;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const holds = (m: RouteMatch) =>
    (!m.method || m.method === method) && m.headers.every(([n, v]) => lower[n] === v) && m.query.every(([n, v]) => query.get(n) === v);
  const m = loc.candidates.find(holds);
  if (!m)
    return {
      serverWhy,
      locationWhy,
      matchWhy: `none of its ${loc.candidates.length} matches holds`,
      action: { kind: 'status', status: 404, why: 'no match holds' },
    };
  const conditions = [...(m.method ? [`method ${m.method}`] : []), ...m.headers.map(([n, v]) => `${n}: ${v}`), ...m.query.map(([n, v]) => `?${n}=${v}`)];
  const before = loc.candidates.indexOf(m);
  const matchWhy = `${m.route} rule ${m.rule}, match ${m.match} (${m.path.type} ${m.path.value}${conditions.length ? `, ${conditions.join(', ')}` : ''})${before > 0 ? `: the first that holds of ${loc.candidates.length}, in the spec's precedence` : ''}`;
  return { serverWhy, locationWhy, matchWhy, action: m.action };
}

import type { GatewayModel, RouteAction, RouteMatch } from '../lab/gateway.js';
import type { Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import { nginxFrame } from './nginx-frame.js';
import type { Op, PlanContext } from './ops.js';
import { caFiles, gatewaySecretFiles } from './tls.js';

/** Where one Gateway's nginx keeps its files, under the lab's state directory (nginx's -p prefix). */
export function gatewayFiles(
  stateDir: string,
  gateway: GatewayModel,
): { prefix: string; conf: string; pid: string; errorLog: string; accessLog: string; socket500: string; socket503: string } {
  const prefix = `${stateDir}/gateway/${gateway.namespace}.${gateway.name}`;
  return {
    prefix,
    conf: `${prefix}/nginx.conf`,
    pid: `${prefix}/nginx.pid`,
    errorLog: `${prefix}/error.log`,
    accessLog: `${prefix}/access.log`,
    socket500: `${prefix}/500.sock`,
    socket503: `${prefix}/503.sock`,
  };
}

/** One public location: how nginx matches the path, and the matches it weighs in order (first that holds wins). */
export interface GatewayLocation {
  /** `=` exact, `` prefix, `~` a RegularExpression match's own location. */
  modifier: '=' | '' | '~';
  path: string;
  candidates: RouteMatch[];
}

/** Whether a PathPrefix value covers a path element-wise (`/abc` covers `/abc`, `/abc/`, `/abc/d`; not `/abcd`). */
function covers(prefix: string, path: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return p === '/' || path === p || path.startsWith(`${p}/`);
}

/**
 * The public locations of one server (NGINX Gateway Fabric, servers.go):
 * Exact `/p` is `location = /p`; PathPrefix `/p` is `location /p/` and its
 * exact twin `location = /p`; `/` is `location /`, present always (404 when
 * no match covers it). Each location weighs every match a request it takes
 * could satisfy, in the spec's precedence: nginx picks the location, the
 * conditions (method, headers, query) pick the match.
 */
export function gatewayLocations(matches: RouteMatch[]): GatewayLocation[] {
  const byKey = new Map<string, GatewayLocation>();
  const add = (modifier: GatewayLocation['modifier'], path: string) => {
    if (!byKey.has(`${modifier} ${path}`)) byKey.set(`${modifier} ${path}`, { modifier, path, candidates: [] });
  };
  add('', '/');
  for (const m of matches) {
    const v = m.path.value;
    if (m.path.type === 'Exact') add('=', v);
    else if (m.path.type === 'RegularExpression') add('~', v);
    else if (v !== '/') {
      const base = v.endsWith('/') ? v.slice(0, -1) : v;
      add('', `${base}/`);
      add('=', base);
    }
  }
  for (const loc of byKey.values()) {
    // A request this location takes: for `= p`, p itself; for a prefix `q/`, q/ and below.
    const sample = loc.modifier === '=' ? loc.path : `${loc.path}x`;
    loc.candidates = matches.filter((m) =>
      m.path.type === 'RegularExpression'
        ? loc.modifier === '~' && m.path.value === loc.path
        : loc.modifier !== '~' && (m.path.type === 'Exact' ? loc.modifier === '=' && m.path.value === loc.path : covers(m.path.value, sample)),
    );
  }
  // Regex locations last, longest first (NGF sorts path rules by length; among regexes nginx takes the first that matches).
  const rank = (l: GatewayLocation) => (l.modifier === '~' ? 1 : 0);
  return [...byKey.values()].sort((a, b) => rank(a) - rank(b) || b.path.length - a.path.length || (a.modifier === '=' ? -1 : 1));
}

/** What follows `location`: `= "/p"`, `"/p/"`, or NGF's anchored regex `~ "^re"`. */
function locationPattern(loc: GatewayLocation): string {
  if (loc.modifier === '~') return `~ "${loc.path.startsWith('^') ? '' : '^'}${loc.path}"`;
  return `${loc.modifier ? '= ' : ''}"${loc.path}"`;
}

/** The nginx variable of a request header: `$http_` and the name, lowercased, `-` as `_`. */
function headerVar(name: string): string {
  return `$http_${name.toLowerCase().replace(/-/g, '_')}`;
}

/** What one match checks beyond the path, as the string nginx compares and the value it must equal. */
function condition(m: RouteMatch): { key: string; want: string } | undefined {
  const parts = [
    ...(m.method ? [['$request_method', m.method]] : []),
    ...m.headers.map(([n, v]) => [headerVar(n), v]),
    ...m.query.map(([n, v]) => [`$arg_${n}`, v]),
  ];
  if (parts.length === 0) return undefined;
  return { key: parts.map(([k]) => k).join('|'), want: parts.map(([, v]) => v).join('|') };
}

/**
 * One Gateway's nginx.conf in NGINX Gateway Fabric's shape: a server per
 * listener port and hostname (the port's default server answers 404),
 * locations by path, and for every match an internal location that proxies
 * (split_clients over weighted backends), redirects or answers 500/503. NGF
 * weighs method, headers and query parameters in njs (httpmatches.js); netlab
 * does it with `if` on one composed string per match, in the same order, and
 * an internal rewrite, which keeps the original URI for the backend.
 */
export function gatewayConf(lab: Lab, gateway: GatewayModel, stateDir: string): string {
  const f = gatewayFiles(stateDir, gateway);
  const splits: string[] = [];
  const addMaps = new Set<string>();
  const upstreams = new Map<string, Array<{ pod: string; ip: string; port: number }>>();
  let count = 0;
  const servers: string[] = [];
  const ports = [...new Set(gateway.listeners.map((l) => l.port))].sort((a, b) => a - b);
  for (const port of ports) {
    const onPort = gateway.servers.filter((s) => s.port === port);
    const https = gateway.listeners.filter((l) => l.port === port && l.tls);
    const ssl = https.length > 0 ? ' ssl' : '';
    // Without a server for the catch-all (a route and listener with no hostname), the port's default server answers 404.
    // On HTTPS it completes the handshake with the certificate of a listener without hostname (it takes every name, so an
    // unknown one gets its 404 over TLS); with none, it refuses the handshake, as NGF's default HTTPS server does.
    if (!onPort.some((s) => s.hostname === '')) {
      const anyName = https.find((l) => l.hostname === undefined)?.tls;
      servers.push('  server {', `    listen ${port}${ssl} default_server;`, '    server_name _;');
      if (ssl) servers.push(...(anyName ? certificate(stateDir, anyName) : ['    ssl_reject_handshake on;']));
      servers.push('    location / {', '      return 404;', '    }', '  }', '');
    }
    for (const s of onPort) {
      servers.push(
        '  server {',
        `    listen ${port}${ssl}${s.hostname === '' ? ' default_server' : ''};`,
        `    server_name ${s.hostname === '' ? '_' : s.hostname};`,
        ...(s.tls ? certificate(stateDir, s.tls) : []),
      );
      // The rewrites below look for their target in this server: its internal locations live here too.
      const internal: string[] = [];
      for (const loc of gatewayLocations(s.matches)) {
        servers.push(`    location ${locationPattern(loc)} {`);
        let unconditional = false;
        for (const m of loc.candidates) {
          const n = count++;
          const target = `/_ngf-internal-match${n}`;
          internal.push(...internalLocation(target, m, splits, addMaps, upstreams));
          const c = condition(m);
          if (!c) {
            servers.push(`      rewrite ^ ${target} last; # ${m.route} rule ${m.rule}`);
            unconditional = true;
            break;
          }
          servers.push(`      set $gw_m${n} "${c.key}";`, `      if ($gw_m${n} = "${c.want}") { rewrite ^ ${target} last; } # ${m.route} rule ${m.rule}`);
        }
        // No match holds: the spec's 404.
        if (!unconditional) servers.push('      return 404;');
        servers.push('    }');
      }
      servers.push(...internal, '  }', '');
    }
  }
  return nginxFrame(
    `NGINX Gateway Fabric's data plane for Gateway ${gateway.ref} of lab ${lab.name}, rendered by netlab (docs/gateway.md).`,
    f,
    [`  access_log ${f.accessLog};`],
    [
      '  proxy_http_version 1.1;',
      '',
      '  # The Host header goes to the backend as the client sent it (port and all).',
      '  map $http_host $gw_api_compliant_host {',
      '    "" $host;',
      '    default $http_host;',
      '  }',
      '  map $http_upgrade $connection_upgrade {',
      '    default upgrade;',
      "    '' close;",
      '  }',
      // RequestHeaderModifier add: the client's value, a comma, then the added one.
      ...[...addMaps].flatMap((key) => {
        const response = key.startsWith('response:');
        const name = response ? key.slice('response:'.length) : key;
        const [from, to] = response ? [upstreamVar(name), responseAddVar(name)] : [headerVar(name), addVar(name)];
        return [`  map ${from} ${to} {`, `    default "${from},";`, '    "" "";', '  }'];
      }),
      '',
      ...[...upstreams]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([name, eps]) => [
          `  upstream ${name} {`,
          '    random two least_conn;',
          ...eps.map((e) => `    server ${e.ip}:${e.port}; # ${e.pod}`),
          '  }',
          '',
        ]),
      '  # Invalid backendRefs answer 500, as the spec requires (NGF: invalid-backend-ref); a backend without ready endpoints 503.',
      '  upstream invalid-backend-ref {',
      `    server unix:${f.socket500};`,
      '  }',
      '  server {',
      `    listen unix:${f.socket500};`,
      '    return 500;',
      '  }',
      '  upstream backend-unavailable {',
      `    server unix:${f.socket503};`,
      '  }',
      '  server {',
      `    listen unix:${f.socket503};`,
      '    return 503;',
      '  }',
      '',
      ...splits,
      ...servers,
    ],
  );
}

/** An HTTPS server's certificate: its listener's TlsSecret, issued from the lab's CA. */
function certificate(stateDir: string, secret: string): string[] {
  const f = gatewaySecretFiles(stateDir, secret);
  return [`    ssl_certificate ${f.crt};`, `    ssl_certificate_key ${f.key};`];
}

function addVar(name: string): string {
  return `$gw_add_${name.toLowerCase().replace(/-/g, '_')}`;
}

/**
 * The URI a URLRewrite sends on, from the client's ($request_uri: the
 * internal location's own $uri is its name). ReplacePrefixMatch keeps what
 * follows the matched prefix, one `/` between (`/strip-prefix/three` with
 * `/` becomes `/three`); ReplaceFullPath keeps only the query.
 */
function rewrittenUri(m: RouteMatch): { uri: string; lines: string[] } | undefined {
  const path = m.rewrite?.path;
  if (!path) return undefined;
  if (path.type === 'ReplaceFullPath') return { uri: `${path.value}$is_args$args`, lines: [] };
  // Path values are held to characters of a URL path; of them only '.' and '+' mean something in a regex.
  const prefix = m.path.value.replace(/\/+$/, '').replace(/[.+]/g, (c) => `\\${c}`);
  const slash = path.value.endsWith('/');
  return {
    uri: `${path.value}$gw_rest`,
    lines: ['      set $gw_rest "";', `      if ($request_uri ~ "^${prefix}${slash ? '/?' : ''}(.*)$") { set $gw_rest $1; }`],
  };
}

/** The backend's response header (nginx's $upstream_http_NAME) and the variable holding it with a comma, or nothing. */
function upstreamVar(name: string): string {
  return `$upstream_http_${name.toLowerCase().replace(/-/g, '_')}`;
}
function responseAddVar(name: string): string {
  return `$gw_radd_${name.toLowerCase().replace(/-/g, '_')}`;
}

/**
 * A rule's ResponseHeaderModifier: `remove` hides the backend's header;
 * `set` hides it and adds the value; `add` hides it and adds one header, the
 * backend's value, a comma, the added one (as the suite's table reads it:
 * `some-other-value,add-appends-values`). `always`: on every status.
 */
function responseHeaders(m: RouteMatch, addMaps: Set<string>): string[] {
  const mod = m.responseHeaderModifier;
  if (!mod) return [];
  const lines = mod.remove.map((name) => `      proxy_hide_header ${name};`);
  for (const [name, value] of mod.set) lines.push(`      proxy_hide_header ${name};`, `      add_header ${name} "${value}" always;`);
  for (const [name, value] of mod.add) {
    addMaps.add(`response:${name}`);
    lines.push(`      proxy_hide_header ${name};`, `      add_header ${name} "\${${responseAddVar(name).slice(1)}}${value}" always;`);
  }
  return lines;
}

/** The base headers NGF sets on every proxied request (createBaseProxySetHeaders), then the rule's modifier. */
function proxyHeaders(m: RouteMatch, addMaps: Set<string>): string[] {
  const base: Array<[string, string]> = [
    // URLRewrite's hostname replaces the client's Host.
    ['Host', m.rewrite?.hostname ?? '$gw_api_compliant_host'],
    ['X-Forwarded-For', '$proxy_add_x_forwarded_for'],
    ['X-Real-IP', '$remote_addr'],
    ['X-Forwarded-Proto', '$scheme'],
    ['X-Forwarded-Host', '$host'],
    ['X-Forwarded-Port', '$server_port'],
    ['Upgrade', '$http_upgrade'],
    ['Connection', '$connection_upgrade'],
  ];
  const mod = m.headerModifier;
  const headers = new Map(base.map(([k, v]) => [k.toLowerCase(), [k, `"${v}"`] as [string, string]]));
  for (const [name, value] of mod?.set ?? []) headers.set(name.toLowerCase(), [name, `"${value}"`]);
  for (const [name, value] of mod?.add ?? []) {
    addMaps.add(name);
    // Braced: the value may begin with letters that would continue the variable's name.
    headers.set(name.toLowerCase(), [name, `"\${${addVar(name).slice(1)}}${value}"`]);
  }
  for (const name of mod?.remove ?? []) headers.set(name.toLowerCase(), [name, '""']);
  return [...headers.values()].map(([k, v]) => `      proxy_set_header ${k} ${v};`);
}

function internalLocation(
  name: string,
  m: RouteMatch,
  splits: string[],
  addMaps: Set<string>,
  upstreams: Map<string, Array<{ pod: string; ip: string; port: number }>>,
): string[] {
  const action: RouteAction = m.action;
  const head = [`    location = ${name} { # ${m.route} rule ${m.rule} match ${m.match}`, '      internal;'];
  if (action.kind === 'status') return [...head, `      return ${action.status}; # ${action.why}`, '    }'];
  if (action.kind === 'redirect') {
    const scheme = action.scheme ?? '$scheme';
    // An unset port: the scheme's well-known one, which Location leaves out (the listener's when the port is not 80).
    const portPart = action.port === undefined || action.port === 80 || action.port === 443 ? '' : `:${action.port}`;
    return [...head, `      return ${action.status} "${scheme}://${action.hostname ?? '$host'}${portPart}$request_uri";`, '    }'];
  }
  const targets = action.backends.map((b) => {
    if (b.upstream === 'invalid-backend-ref') return b;
    if (b.endpoints.length === 0) return { ...b, upstream: 'backend-unavailable' };
    upstreams.set(b.upstream, b.endpoints);
    return b;
  });
  // URLRewrite's path: the whole path replaced (the query kept), or the part the PathPrefix matched.
  const rewriting = rewrittenUri(m);
  const uri = rewriting?.uri ?? '$request_uri';
  let pass: string;
  if (targets.length === 1) pass = `http://${targets[0]!.upstream}${uri}`;
  else {
    const variable = `$gw_split${name.replace(/[^a-z0-9]/gi, '_')}`;
    const total = targets.reduce((s, b) => s + b.weight, 0);
    splits.push(
      `  split_clients $request_id ${variable} {`,
      ...targets.map((b, i) => (i === targets.length - 1 ? `    * ${b.upstream};` : `    ${((b.weight / total) * 100).toFixed(2)}% ${b.upstream};`)),
      '  }',
      '',
    );
    pass = `http://${variable}${uri}`;
  }
  return [...head, ...(rewriting?.lines ?? []), ...proxyHeaders(m, addMaps), ...responseHeaders(m, addMaps), `      proxy_pass ${pass};`, '    }'];
}

/** NGF's data plane: one nginx per Gateway, in its pod, started from its rendered configuration. */
export function planGatewayNginx(lab: Lab, context: PlanContext): Contribution[] {
  // The Secrets HTTPS listeners name, issued before any nginx reads them (one job: openssl in the fabric, in order).
  const certificates: Op[] = lab.gateway.secrets.map((s) => ({
    kind: 'tls.issue',
    netns: lab.fabric.netns,
    ca: { ...caFiles(context.stateDir), name: `netlab ${lab.name} CA` },
    ...gatewaySecretFiles(context.stateDir, s.key),
    commonName: s.hosts[0]!,
    hosts: s.hosts,
  }));
  const servers = lab.gateway.gateways
    .filter((g) => g.served && g.pod)
    .map((g): Contribution => {
      const f = gatewayFiles(context.stateDir, g);
      return {
        containers: [
          { kind: 'file.write', path: f.conf, content: gatewayConf(lab, g, context.stateDir) },
          { kind: 'daemon.start', netns: g.pod!.netns, name: 'nginx', argv: ['nginx', '-p', f.prefix, '-c', f.conf, '-e', f.errorLog], pidFile: f.pid },
        ],
      };
    });
  return certificates.length > 0 ? [{ containers: certificates }, ...servers] : servers;
}

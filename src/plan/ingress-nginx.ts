import { DEFAULT_CERTIFICATE } from '../lab/ingress.js';
import type { Ingress, IngressBackend, Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';
import { nginxFrame } from './nginx-frame.js';
import type { Op, PlanContext } from './ops.js';
import { caFiles, tlsFiles } from './tls.js';

/** Where one controller pod's nginx keeps its files, under the lab's state directory (nginx's -p prefix). */
export function nginxFiles(stateDir: string, pod: string): { prefix: string; conf: string; pid: string; errorLog: string; accessLog: string } {
  const prefix = `${stateDir}/ingress/${pod}`;
  return { prefix, conf: `${prefix}/nginx.conf`, pid: `${prefix}/nginx.pid`, errorLog: `${prefix}/error.log`, accessLog: `${prefix}/access.log` };
}

/** One location of a server: how nginx matches it, and where it sends the request. */
export interface NginxLocation {
  /** `=` an exact match, `` a prefix match (nginx's longest prefix wins), `~*` a case-insensitive regex anchored at the start (use-regex). */
  modifier: '=' | '' | '~*';
  path: string;
  /** An upstream, or a fixed status (404: ingress-nginx's default backend; 503: a backend with no ready endpoint). */
  to: { upstream: string; service: string } | { status: 404 | 503 };
  /** Why it exists, in the rule's words: a comment in the config and what `trace` says. */
  why: string;
  /** rewrite-target: `rewrite "(?i)PATH" TARGET break;` before the proxy_pass (the path its Ingress wrote, the target). */
  rewrite?: { pattern: string; target: string };
}

/** One server block: a host (or `_`, the catch-all) and its locations. */
export interface NginxServer {
  host: string;
  serverName: string;
  locations: NginxLocation[];
  /** A host of a spec.tls entry: served on 443 too, with its secret's certificate; `redirect`: plain HTTP answers 308 to HTTPS. */
  tls?: { secret: string; redirect: boolean };
}

/**
 * ingress-nginx's model of the served Ingresses (internal/ingress/controller
 * createServers, updateServerLocations; REFERENCE-3 §3.3, §3.5): one server per
 * host across every Ingress of the class, sorted by name, plus the catch-all
 * `_`; per path, Exact → `location = P`; Prefix P (and ImplementationSpecific,
 * which ingress-nginx treats alike without regex annotations) → `location P/`
 * and its exact twin `location = P` unless an Exact rule owns P. A Prefix written
 * with a trailing slash gets the twin too, and an Exact `/p/` a `location = /p`
 * that goes to the default backend: without them nginx answers `/p` with a 301
 * to `/p/` (its auto-redirect for a location ending in `/`), where the Ingress
 * conformance tests expect 200 or 404. Every server that no rule gives `/`
 * sends it to its Ingress's defaultBackend, or to ingress-nginx's default
 * backend: 404.
 */
export function nginxServers(ingresses: Ingress[], options: { naive?: boolean } = {}): NginxServer[] {
  const served = ingresses.filter((i) => i.served);
  const hosts = [...new Set(served.flatMap((i) => i.rules.map((r) => r.host)).filter((h) => h !== ''))].sort();
  const catchAll = served.find((i) => i.rules.length === 0 && i.defaultBackend) ?? served.find((i) => i.defaultBackend);
  const build = (host: string): NginxServer => {
    const byKey = new Map<string, NginxLocation>();
    const put = (loc: NginxLocation, replace: boolean) => {
      const key = `${loc.modifier} ${loc.path}`;
      if (replace || !byKey.has(key)) byKey.set(key, loc);
    };
    const rules = served.flatMap((ing) => ing.rules.filter((r) => r.host === host).flatMap((r) => r.paths.map((p) => ({ ing, ...p }))));
    // enforceRegexModifier: one Ingress of the host with use-regex or rewrite-target turns every location of the host into a regex.
    const regexHost = !options.naive && rules.some((r) => r.ing.useRegex || r.ing.rewriteTarget !== undefined);
    const rewriteOf = (r: (typeof rules)[number]) =>
      r.ing.rewriteTarget !== undefined && r.ing.rewriteTarget !== r.path ? { rewrite: { pattern: r.path, target: r.ing.rewriteTarget } } : {};
    // Exact rules first: they own `= P` whatever order the file gives.
    for (const r of rules.filter((x) => x.pathType === 'Exact')) {
      put({ modifier: '=', path: r.path, to: target(r.backend), why: `${r.ing.ref}: Exact ${r.path}`, ...rewriteOf(r) }, true);
    }
    for (const r of rules.filter((x) => x.pathType !== 'Exact')) {
      const kind = r.pathType === 'ImplementationSpecific' ? 'ImplementationSpecific (as Prefix)' : 'Prefix';
      if (r.path === '/') {
        put({ modifier: '', path: '/', to: target(r.backend), why: `${r.ing.ref}: ${kind} /` }, false);
        continue;
      }
      const base = r.path.endsWith('/') ? r.path.slice(0, -1) : r.path;
      // updateServerLocations: a path of a use-regex (or rewriting) Ingress stays as written, with no twin.
      if (regexHost && (r.ing.useRegex || 'rewrite' in rewriteOf(r))) {
        put({ modifier: '', path: r.path, to: target(r.backend), why: `${r.ing.ref}: ${kind} ${r.path} (use-regex)`, ...rewriteOf(r) }, false);
        continue;
      }
      if (options.naive) {
        // What a naive rendering writes: the rule's path as a prefix location, and nothing else.
        put({ modifier: '', path: r.path, to: target(r.backend), why: `${r.ing.ref}: ${kind} ${r.path} (naive)` }, false);
        continue;
      }
      put({ modifier: '', path: `${base}/`, to: target(r.backend), why: `${r.ing.ref}: ${kind} ${r.path}, its subpaths`, ...rewriteOf(r) }, false);
      put({ modifier: '=', path: base, to: target(r.backend), why: `${r.ing.ref}: ${kind} ${r.path}, the path itself`, ...rewriteOf(r) }, false);
    }
    // Regex locations never auto-redirect: the guard against nginx's 301 is for prefix locations only.
    if (!options.naive && !regexHost) {
      for (const r of rules.filter((x) => x.pathType === 'Exact' && x.path.length > 1 && x.path.endsWith('/'))) {
        const bare = r.path.slice(0, -1);
        put({ modifier: '=', path: bare, to: { status: 404 }, why: `${r.ing.ref}: Exact ${r.path} does not match ${bare}: no 301 to ${r.path}` }, false);
      }
    }
    if (!byKey.has(' /')) {
      const fallback = host === '' ? catchAll : served.find((i) => i.defaultBackend && i.rules.some((r) => r.host === host));
      put(
        fallback?.defaultBackend
          ? { modifier: '', path: '/', to: target(fallback.defaultBackend), why: `${fallback.ref}: defaultBackend` }
          : { modifier: '', path: '/', to: { status: 404 }, why: "no rule: ingress-nginx's default backend" },
        false,
      );
    }
    // controller.go: sorted by path descending, then by length descending; only regex locations care (the first that matches wins).
    const sorted = [...byKey.values()].sort(
      (a, b) => b.path.length - a.path.length || (a.path < b.path ? 1 : a.path > b.path ? -1 : 0) || (a.modifier === '=' ? -1 : 1),
    );
    const locations = regexHost ? sorted.map((l): NginxLocation => ({ ...l, modifier: '~*' })) : sorted;
    const tlsOf = served.filter((i) => i.tls.some((t) => t.hosts.includes(host)));
    const tls =
      host !== '' && tlsOf.length > 0
        ? { secret: tlsOf[0]!.tls.find((t) => t.hosts.includes(host))!.secret, redirect: tlsOf.some((i) => i.sslRedirect) }
        : undefined;
    return { host: host === '' ? '_' : host, serverName: serverName(host), locations, ...(tls ? { tls } : {}) };
  };
  return [...hosts.map(build), build('')];
}

/** buildLocation: `= "P"`, `"P"`, or with use-regex on the host `~* "^P"`. */
function locationPattern(l: NginxLocation): string {
  if (l.modifier === '~*') return `~* "^${quotedRegex(l.path)}"`;
  return `${l.modifier ? '= ' : ''}"${l.path}"`;
}

/** sanitizeQuotedRegex: a backslash doubled inside nginx's quotes, so `\.` reaches PCRE as written (the schema keeps `"` out). */
function quotedRegex(path: string): string {
  return path.replace(/\\/g, '\\\\');
}

function target(b: IngressBackend): NginxLocation['to'] {
  return b.endpoints.length > 0 ? { upstream: b.upstream, service: b.service } : { status: 503 };
}

/** buildServerName: a host verbatim; `*.foo.com` as the regex that takes exactly one label. */
export function serverName(host: string): string {
  if (host === '') return '_';
  if (!host.startsWith('*.')) return host;
  return `~^(?<subdomain>[\\w-]+)${host.slice(1).replace(/\./g, '\\.')}$`;
}

/**
 * One controller pod's nginx.conf, in nginx.tmpl's shape: the proxy headers
 * ingress-nginx sets, an upstream per backend listing its ready endpoints
 * (round robin; ingress-nginx keeps that list in Lua, netlab writes it out),
 * the servers of nginxServers, and the default server that answers 404. Every
 * path nginx could write (pid, logs, temporary files) is under the pod's
 * directory of the lab's state.
 */
export function nginxConf(lab: Lab, pod: string, stateDir: string, options: { naive?: boolean } = {}): string {
  const f = nginxFiles(stateDir, pod);
  const servers = nginxServers(lab.ingress.ingresses, options);
  const backends = new Map<string, IngressBackend>();
  for (const ing of lab.ingress.ingresses.filter((i) => i.served)) {
    for (const b of [...(ing.defaultBackend ? [ing.defaultBackend] : []), ...ing.rules.flatMap((r) => r.paths.map((p) => p.backend))]) {
      if (b.endpoints.length > 0) backends.set(b.upstream, b);
    }
  }
  const location = (l: NginxLocation): string[] => [
    `    # ${l.why}`,
    `    location ${locationPattern(l)} {`,
    ...('upstream' in l.to
      ? [
          `      set $proxy_upstream_name "${l.to.upstream}"; # service ${l.to.service}`,
          ...(l.rewrite ? [`      rewrite "(?i)${quotedRegex(l.rewrite.pattern)}" ${l.rewrite.target} break;`] : []),
          `      proxy_pass http://${l.to.upstream};`,
        ]
      : [`      return ${l.to.status};`]),
    '    }',
  ];
  return nginxFrame(
    `ingress-nginx's controller for lab ${lab.name}, pod ${pod}: nginx.tmpl's shape, rendered by netlab (docs/ingress.md).`,
    f,
    [
      '  log_format upstreaminfo \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_status $req_id\';',
      `  access_log ${f.accessLog} upstreaminfo;`,
    ],
    [
      '  server_tokens on;',
      '',
      '  # ingress-nginx: the request id, the best Host, what the Upgrade header asks.',
      '  map $http_x_request_id $req_id {',
      '    default $http_x_request_id;',
      '    "" $request_id;',
      '  }',
      '  map $http_host $best_http_host {',
      '    default $http_host;',
      '    "" $host;',
      '  }',
      '  map $http_upgrade $connection_upgrade {',
      '    default upgrade;',
      "    '' close;",
      '  }',
      '',
      ...[...backends.values()]
        .sort((a, b) => (a.upstream < b.upstream ? -1 : 1))
        .flatMap((b) => [`  upstream ${b.upstream} {`, ...b.endpoints.map((e) => `    server ${e.ip}:${e.port}; # ${e.pod}`), '  }', '']),
      '  proxy_http_version 1.1;',
      '  proxy_set_header Host $best_http_host;',
      '  proxy_set_header Upgrade $http_upgrade;',
      '  proxy_set_header Connection $connection_upgrade;',
      '  proxy_set_header X-Request-ID $req_id;',
      '  proxy_set_header X-Real-IP $remote_addr;',
      '  proxy_set_header X-Forwarded-For $remote_addr;',
      '  proxy_set_header X-Forwarded-Host $best_http_host;',
      '  proxy_set_header X-Forwarded-Port $server_port;',
      '  proxy_set_header X-Forwarded-Proto $scheme;',
      '  proxy_set_header X-Forwarded-Scheme $scheme;',
      '  proxy_set_header X-Scheme $scheme;',
      '  proxy_set_header Proxy "";',
      '',
      ...servers.flatMap((s) => [
        '  server {',
        `    listen 80${s.host === '_' ? ' default_server' : ''};`,
        `    server_name ${s.serverName};`,
        ...(s.host === '_'
          ? // ingress-nginx's default server answers TLS too, with its "fake" certificate.
            ['    listen 443 ssl default_server;', ...certificate(stateDir, DEFAULT_CERTIFICATE)]
          : s.tls
            ? [
                '    listen 443 ssl;',
                ...certificate(stateDir, s.tls.secret),
                // ssl-redirect (ingress-nginx's default): plain HTTP to a TLS host goes to HTTPS with 308.
                ...(s.tls.redirect ? ['    if ($scheme = http) {', '      return 308 https://$host$request_uri;', '    }'] : []),
              ]
            : []),
        '    set $proxy_upstream_name "-";',
        ...s.locations.flatMap(location),
        '  }',
        '',
      ]),
    ],
  );
}

function certificate(stateDir: string, secret: string): string[] {
  const f = tlsFiles(stateDir, secret);
  return [`    ssl_certificate ${f.crt};`, `    ssl_certificate_key ${f.key};`];
}

/**
 * The certificates the served Ingresses' TLS entries name, each for all the
 * hosts that name its secret, and the controller's default one (ingress-nginx's
 * "Kubernetes Ingress Controller Fake Certificate", for ingress.local), all
 * signed by the lab's CA.
 */
function planCertificates(lab: Lab, context: PlanContext): Op[] {
  const secrets = new Map<string, string[]>([[DEFAULT_CERTIFICATE, ['ingress.local']]]);
  for (const t of lab.ingress.ingresses.filter((i) => i.served).flatMap((i) => i.tls)) {
    secrets.set(t.secret, [...new Set([...(secrets.get(t.secret) ?? []), ...t.hosts])]);
  }
  const ca = caFiles(context.stateDir);
  return [...secrets].map(([secret, hosts]) => ({
    kind: 'tls.issue',
    netns: lab.fabric.netns,
    ca: { ...ca, name: `netlab ${lab.name} CA` },
    ...tlsFiles(context.stateDir, secret),
    commonName: secret === DEFAULT_CERTIFICATE ? 'Kubernetes Ingress Controller Fake Certificate' : hosts[0]!,
    hosts,
  }));
}

/**
 * ingress-nginx's data plane: in each controller pod, an nginx started from
 * its rendered configuration, found and stopped with the pod's namespace.
 */
export function planIngressNginx(lab: Lab, context: PlanContext): Contribution[] {
  const controller = lab.ingress.controller;
  if (!controller) return [];
  const certificates: Contribution = { containers: planCertificates(lab, context) };
  return [
    certificates,
    ...controller.pods.map((pod): Contribution => {
      const f = nginxFiles(context.stateDir, pod.name.replace('/', '.'));
      return {
        containers: [
          {
            kind: 'file.write',
            path: f.conf,
            content: nginxConf(lab, pod.name.replace('/', '.'), context.stateDir, { naive: controller.rendering === 'naive' }),
          },
          { kind: 'daemon.start', netns: pod.netns, name: 'nginx', argv: ['nginx', '-p', f.prefix, '-c', f.conf, '-e', f.errorLog], pidFile: f.pid },
        ],
      };
    }),
  ];
}

import { describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/types.js';
import { intersect } from '../../src/lab/gateway.js';
import { gatewayConf, gatewayLocations } from '../../src/plan/gateway-nginx.js';
import { planLab } from '../../src/plan/index.js';
import { gatewayDecision } from '../../src/trace/ingress.js';
import { labOf, problemsOf, shippedLab } from '../helpers/labs.js';

/*
 * Gateway API HTTPRoutes as NGINX Gateway Fabric serves them: which routes a
 * listener accepts and the status it writes, the spec's match precedence
 * (gateway-api apis/v1/httproute_types.go), the nginx locations, and what
 * validation refuses.
 */

const echo = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  labels: { app: name },
  containers: [{ name: 'e', listen: ['8080/tcp'] }],
});
const svc = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), selector: { app: name }, ports: [{ port: 8080 }] });
const be = (name: string, extra: object = {}) => ({ name, port: 8080, ...extra });

function gwLab(routes: object[], listeners: object[] = [{ name: 'http', port: 80, protocol: 'HTTP' }], extra: object = {}) {
  return {
    name: 'gw',
    nodes: [{ name: 'node1' }, { name: 'node2' }],
    namespaces: [{ name: 'other' }],
    pods: [echo('v1'), echo('v2'), echo('v3', 'other')],
    services: [svc('v1'), svc('v2'), svc('v3', 'other')],
    gatewayClasses: [{ name: 'nginx', controllerName: 'gateway.nginx.org/nginx-gateway-controller' }],
    gateways: [{ name: 'gw', gatewayClassName: 'nginx', listeners }],
    httpRoutes: routes,
    ...extra,
  };
}

describe('hostnames', () => {
  it('intersect as the spec says: the more specific of a matching pair; a wildcard takes any number of labels', () => {
    expect(intersect(undefined, [])).toEqual(['']);
    expect(intersect(undefined, ['a.example'])).toEqual(['a.example']);
    expect(intersect('very.specific.com', [])).toEqual(['very.specific.com']);
    expect(intersect('very.specific.com', ['*.specific.com', 'non.matching.com'])).toEqual(['very.specific.com']);
    expect(intersect('*.wildcard.io', ['wildcard.io', 'foo.wildcard.io', 'foo.bar.wildcard.io'])).toEqual(['foo.wildcard.io', 'foo.bar.wildcard.io']);
    expect(intersect('*.wildcard.io', ['specific.but.wrong.com'])).toEqual([]);
  });
});

describe('status, as NGINX Gateway Fabric writes it', () => {
  const status = (routes: object[], listeners?: object[]) =>
    labOf(gwLab(routes, listeners)).gateway.routes.map((r) => [r.ref, r.parents.map((p) => p.accepted.reason), r.resolvedRefs.reason]);

  it('Accepted, or why not: no such listener, a namespace the listener does not allow, no hostname in common', () => {
    expect(
      status(
        [
          { name: 'ok', parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [be('v1')] }] },
          { name: 'section', parentRefs: [{ name: 'gw', sectionName: 'nope' }], rules: [{ backendRefs: [be('v1')] }] },
          { name: 'other-ns', namespace: 'other', parentRefs: [{ name: 'gw', namespace: 'default' }], rules: [{ backendRefs: [be('v3')] }] },
          { name: 'hosts', parentRefs: [{ name: 'gw' }], hostnames: ['b.example'], rules: [{ backendRefs: [be('v1')] }] },
          { name: 'missing', parentRefs: [{ name: 'no-such-gateway' }], rules: [{ backendRefs: [be('v1')] }] },
        ],
        [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'a.example' }],
      ),
    ).toEqual([
      ['ok', ['Accepted'], 'ResolvedRefs'],
      ['section', ['NoMatchingParent'], 'ResolvedRefs'],
      ['other/other-ns', ['NotAllowedByListeners'], 'ResolvedRefs'],
      ['hosts', ['NoMatchingListenerHostname'], 'ResolvedRefs'],
      ['missing', ['NoMatchingParent'], 'ResolvedRefs'],
    ]);
  });

  it('a ReferenceGrant in the Service’s namespace permits exactly what it names', () => {
    const grant = (to: object) => ({
      referenceGrants: [{ name: 'g', namespace: 'other', from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }], to: [to] }],
    });
    const route = [{ name: 'r', parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [be('v3', { namespace: 'other' })] }] }];
    const reason = (extra: object) => labOf(gwLab(route, undefined, extra)).gateway.routes[0]!.resolvedRefs.reason;
    expect(reason(grant({ group: '', kind: 'Service', name: 'v3' }))).toBe('ResolvedRefs');
    expect(reason(grant({ group: '', kind: 'Service' }))).toBe('ResolvedRefs');
    expect(reason(grant({ group: '', kind: 'Service', name: 'someone-else' }))).toBe('RefNotPermitted');
    expect(reason({})).toBe('RefNotPermitted');
  });

  it('ResolvedRefs False: BackendNotFound, InvalidKind, RefNotPermitted (no ReferenceGrant); only accepted routes count as attached', () => {
    const lab = labOf(
      gwLab([
        { name: 'gone', parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [be('nonexistent')] }] },
        { name: 'kind', parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [be('v1', { kind: 'UnknownKind' })] }] },
        { name: 'cross', parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [be('v3', { namespace: 'other' })] }] },
        { name: 'nope', parentRefs: [{ name: 'gw', sectionName: 'x' }], rules: [{ backendRefs: [be('v1')] }] },
      ]),
    );
    expect(lab.gateway.routes.map((r) => r.resolvedRefs.reason)).toEqual(['BackendNotFound', 'InvalidKind', 'RefNotPermitted', 'ResolvedRefs']);
    expect(lab.gateway.gateways[0]!.listeners[0]!.attachedRoutes).toBe(3);
    const actions = lab.gateway.gateways[0]!.servers[0]!.matches.map((m) => (m.action.kind === 'status' ? m.action.status : m.action.kind));
    expect(actions).toEqual([500, 500, 500]);
  });
});

describe('precedence and locations', () => {
  it("HTTPRouteHeaderMatching's rules weigh as the spec says: two headers before one, then the first rule", () => {
    const lab = shippedLab('gateway');
    const server = lab.gateway.gateways[0]!.servers.find((s) => s.hostname === 'headers.example')!;
    expect(server.matches.map((m) => `${m.rule}:${m.headers.map(([n, v]) => `${n}=${v}`).join('&')}`)).toEqual([
      '2:version=two&color=orange',
      '0:version=one',
      '1:version=two',
      '3:color=blue',
      '3:color=green',
      '4:color=red',
      '4:color=yellow',
    ]);
  });

  it('a location weighs every match that could take its requests: a longer prefix, then the shorter ones behind it', () => {
    const lab = shippedLab('gateway');
    const server = lab.gateway.gateways[0]!.servers.find((s) => s.hostname === 'matching.example')!;
    const locations = gatewayLocations(server.matches).map((l) => [
      `${l.modifier ? '= ' : ''}${l.path}`,
      l.candidates.map((m) => `${m.route}#${m.rule}.${m.match}`),
    ]);
    // Equal on hostname, path and header count, the two header matches of `/` go in rule order.
    expect(locations).toEqual([
      ['/v2/', ['matching#1.0', 'matching#0.1', 'matching#1.1', 'matching#0.0']],
      ['= /v2', ['matching#1.0', 'matching#0.1', 'matching#1.1', 'matching#0.0']],
      ['/', ['matching#0.1', 'matching#1.1', 'matching#0.0']],
    ]);
  });

  it('the rendered config: a composed condition per match, an internal location per match, split_clients by weight', () => {
    const lab = shippedLab('gateway');
    const conf = gatewayConf(lab, lab.gateway.gateways[0]!, '/run/netlab/gateway');
    expect(conf).toMatch(/set \$gw_m\d+ "\$http_version\|\$http_color";\n {6}if \(\$gw_m\d+ = "two\|orange"\) \{ rewrite \^ \/_ngf-internal-match\d+ last; \}/);
    expect(conf).toMatch(
      /split_clients \$request_id \$gw_split\w+ \{\n {4}70\.00% default_infra-backend-v1_8080;\n {4}\* default_infra-backend-v2_8080;\n {2}\}/,
    );
    expect(conf).toContain('return 302 "$scheme://example.org$request_uri";');
    expect(conf).toContain('proxy_set_header X-Header-Add "${gw_add_x_header_add}add-appends-values";');
    // Every path nginx writes is in the lab's state directory.
    for (const d of ['client_body_temp_path', 'proxy_temp_path', 'pid', 'access_log', 'error_log'])
      expect(conf).toMatch(new RegExp(`\\b${d} /run/netlab/gateway/gateway/default\\.same-namespace/`));
    expect(conf).toContain('listen unix:/run/netlab/gateway/gateway/default.same-namespace/500.sock;');
  });

  it('a Gateway of another class gets no pod and no config', () => {
    const lab = labOf({ ...gwLab([]), gateways: [{ name: 'gw', gatewayClassName: 'other', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] }] });
    expect(lab.pods.some((p) => p.system === 'gateway')).toBe(false);
    expect(
      planLab(lab, { stateDir: '/run/netlab/gw' })
        .stages.flatMap((s) => s.ops)
        .some((o) => o.kind === 'daemon.start' && o.name === 'nginx'),
    ).toBe(false);
  });
});

describe("trace's model of a Gateway's nginx (the same matches the config is written from)", () => {
  const lab = shippedLab('gateway');
  const gateway = (name: string) => lab.gateway.gateways.find((g) => g.name === name)!;
  const portOf = (t: NonNullable<(typeof lab.tests)[number]['http']>) => t.port ?? (t.scheme === 'https' ? 443 : 80);
  const said = (t: NonNullable<(typeof lab.tests)[number]['http']>) => {
    const g = gateway(t.to.slice('gateway/'.length));
    const d = gatewayDecision(g, portOf(t), t.host, t.path ?? '/', t.headers ?? {}, t.method ?? 'GET');
    const a = d.action;
    return a.kind === 'proxy' ? `service/${a.backends[0]!.service}` : a.kind === 'redirect' ? `${a.status}` : `${a.status}`;
  };

  it('gives every answer of the conformance tables that real nginx gives', () => {
    for (const t of lab.tests.filter((x) => x.http && !x.http.expect?.weights)) {
      const h = t.http!;
      if (h.expect?.pod) {
        const g = gateway(h.to.slice('gateway/'.length));
        const a = gatewayDecision(g, portOf(h), h.host, h.path ?? '/').action;
        expect(a.kind === 'proxy' && a.backends.some((b) => b.endpoints.some((e) => e.pod === h.expect!.pod)), t.name).toBe(true);
        continue;
      }
      const want = h.expect?.backend ?? String(h.expect?.status ?? 200);
      expect(`${t.name}: ${said(h)}`).toBe(`${t.name}: ${want}`);
    }
  });

  it('says which match held and why', () => {
    const d = gatewayDecision(gateway('same-namespace'), 80, 'headers.example', '/', { Version: 'two', Color: 'blue' });
    expect(d.matchWhy).toBe("header-matching rule 1, match 0 (PathPrefix /, version: two): the first that holds of 7, in the spec's precedence");
  });
});

describe('validation', () => {
  it('what the CRDs and their CEL rules refuse', () => {
    expect(
      problemsOf(
        gwLab(
          [
            { name: 'r', parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'v1' }] }] },
            {
              name: 'r2',
              parentRefs: [{ name: 'gw' }],
              rules: [
                {
                  filters: [{ type: 'RequestHeaderModifier' }, { type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x'] } }],
                  backendRefs: [be('v1')],
                },
              ],
            },
          ],
          [
            { name: 'http', port: 80, protocol: 'HTTP' },
            { name: 'http', port: 80, protocol: 'HTTP' },
          ],
        ),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringContaining('gateways[0].listeners[1].name: Listener name must be unique within the Gateway: "http"'),
        expect.stringContaining('gateways[0].listeners[1]: Combination of port, protocol and hostname must be unique for each listener'),
        expect.stringContaining('httpRoutes[0].rules[0].backendRefs[0]: Must have port for Service reference'),
        expect.stringContaining('httpRoutes[1].rules[0].filters[1]: May specify only one RequestHeaderModifier filter per rule'),
        expect.stringContaining('httpRoutes[1].rules[0].filters[0]: filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type'),
      ]),
    );
  });

  it('hostile values stop at the schema: nothing can end an nginx string, directive or header line', () => {
    const rule = (m: object) => problemsOf(gwLab([{ name: 'r', parentRefs: [{ name: 'gw' }], rules: [{ matches: [m], backendRefs: [be('v1')] }] }]));
    expect(rule({ headers: [{ name: 'X', value: 'a"; return 200 "x' }] }).length).toBeGreaterThan(0);
    expect(rule({ headers: [{ name: 'X|Y', value: 'a' }] }).length).toBeGreaterThan(0);
    expect(rule({ headers: [{ name: 'X', value: 'a|b' }] }).length).toBeGreaterThan(0);
    expect(rule({ queryParams: [{ name: 'a-b', value: '1' }] }).length).toBeGreaterThan(0);
    expect(rule({ queryParams: [{ name: 'a', value: '$host' }] }).length).toBeGreaterThan(0);
    expect(rule({ path: { type: 'Exact', value: '/a"{' } }).length).toBeGreaterThan(0);
    // A regex may hold its own characters, never a quote, a ';', a trailing or quote-escaping backslash.
    for (const value of ['/a\\', '/a\\"', '/a"', '/a;b', '/a\nb', '/a b'])
      expect(rule({ path: { type: 'RegularExpression', value } }).join('\n'), value).toMatch(/path\.value/);
    expect(rule({ path: { type: 'RegularExpression', value: '/(a+)+$' } })).toEqual([expect.stringMatching(/repeats a group that itself repeats/)]);
    expect(rule({ path: { type: 'RegularExpression', value: '/a(' } })).toEqual([expect.stringMatching(/"\/a\(" is not a regular expression/)]);
    expect(rule({ path: { type: 'RegularExpression', value: '/v[0-9]+/items\\.json$' } })).toEqual([]);
    // What a regex may hold, a path match may not.
    expect(rule({ path: { type: 'Exact', value: '/a*' } })).toEqual([expect.stringMatching(/has a character a path match cannot have/)]);
    expect(rule({ path: { type: 'PathPrefix', value: 'a' } })).toEqual([expect.stringMatching(/value must be an absolute path/)]);
    const mod = (m: object) =>
      problemsOf(
        gwLab([
          {
            name: 'r',
            parentRefs: [{ name: 'gw' }],
            rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: m }], backendRefs: [be('v1')] }],
          },
        ]),
      );
    expect(mod({ set: [{ name: 'X', value: 'a";\n proxy_pass http://evil' }] }).length).toBeGreaterThan(0);
    expect(mod({ add: [{ name: 'X Y', value: 'a' }] }).length).toBeGreaterThan(0);
    expect(problemsOf(gwLab([{ name: 'r', hostnames: ['a;b'], parentRefs: [{ name: 'gw' }] }])).length).toBeGreaterThan(0);
  });

  it('http tests aim at a Gateway a controller serves, on one of its ports', () => {
    expect(problemsOf(gwLab([], undefined, { tests: [{ http: { from: 'external', to: 'gateway/nope' } }] }))).toEqual([
      expect.stringContaining('tests[0].http.to: no Gateway "default/nope"'),
    ]);
    expect(problemsOf(gwLab([], undefined, { tests: [{ http: { from: 'external', to: 'gateway/gw', port: 8080 } }] }))).toEqual([
      expect.stringContaining('tests[0].http.port: Gateway "default/gw" has no listener on port 8080'),
    ]);
  });
});

describe('HTTPS listeners (HTTPRouteHTTPSListener)', () => {
  const cert = { certificateRefs: [{ group: '', kind: 'Secret', name: 'cert' }] };
  const https = [
    { name: 'https', port: 443, protocol: 'HTTPS', tls: cert },
    { name: 'https-with-hostname', port: 443, protocol: 'HTTPS', hostname: 'second-example.org', tls: cert },
  ];
  const routes = [
    { name: 'one', parentRefs: [{ name: 'gw' }], hostnames: ['example.org'], rules: [{ backendRefs: [be('v1')] }] },
    { name: 'two', parentRefs: [{ name: 'gw', sectionName: 'https-with-hostname' }], rules: [{ backendRefs: [be('v2')] }] },
  ];
  const secrets = { tlsSecrets: [{ name: 'cert', hosts: ['example.org', 'second-example.org'] }] };

  it('terminate TLS with the Secret netlab issues from the lab CA; an unknown name gets the 404 over TLS', () => {
    const lab = labOf(gwLab(routes, https, secrets));
    expect(lab.gateway.secrets).toEqual([{ key: 'default/cert', hosts: ['example.org', 'second-example.org'] }]);
    const conf = gatewayConf(lab, lab.gateway.gateways[0]!, '/run/netlab/gw');
    const crt = '    ssl_certificate /run/netlab/gw/ingress/tls/gateway/default/cert.crt;';
    // The listener without hostname takes any name: the default server completes the handshake and answers 404.
    expect(conf).toContain(['    listen 443 ssl default_server;', '    server_name _;', crt].join('\n'));
    expect(conf).toContain(['    listen 443 ssl;', '    server_name example.org;', crt].join('\n'));
    expect(conf).toContain(['    listen 443 ssl;', '    server_name second-example.org;', crt].join('\n'));
    expect(gatewayDecision(lab.gateway.gateways[0]!, 443, 'example.org', '/').action).toMatchObject({ kind: 'proxy', backends: [{ service: 'v1' }] });
    expect(gatewayDecision(lab.gateway.gateways[0]!, 443, 'second-example.org', '/').action).toMatchObject({ kind: 'proxy', backends: [{ service: 'v2' }] });
    expect(gatewayDecision(lab.gateway.gateways[0]!, 443, 'unknown-example.org', '/').action).toMatchObject({ kind: 'status', status: 404 });
    const issue = planLab(lab, { stateDir: '/run/netlab/gw' })
      .stages.flatMap((s) => s.ops)
      .filter((o) => o.kind === 'tls.issue');
    expect(issue).toEqual([
      expect.objectContaining({
        crt: '/run/netlab/gw/ingress/tls/gateway/default/cert.crt',
        ca: expect.objectContaining({ crt: '/run/netlab/gw/ingress/tls/ca.crt' }),
        hosts: ['example.org', 'second-example.org'],
      }),
    ]);
  });

  it('refuse the handshake for names no listener takes when every HTTPS listener has a hostname, as NGF does', () => {
    const lab = labOf(gwLab([routes[1]!], [https[1]!], secrets));
    expect(gatewayConf(lab, lab.gateway.gateways[0]!, '/run/netlab/gw')).toContain(
      ['    listen 443 ssl default_server;', '    server_name _;', '    ssl_reject_handshake on;'].join('\n'),
    );
  });

  it('take Secrets whose names and hosts cannot reach a shell, a path outside the lab or an openssl option', () => {
    for (const hosts of [['$(id).example'], ['a b.example'], ['-addext'], ['../../etc'], ['x.example"; reboot']]) {
      expect(problemsOf(gwLab(routes, https, { tlsSecrets: [{ name: 'cert', hosts }] })).join('\n'), hosts[0]).toMatch(/tlsSecrets\[0\]\.hosts\[0\]/);
    }
    expect(problemsOf(gwLab(routes, https, { tlsSecrets: [{ name: '../cert', hosts: ['example.org'] }] })).join('\n')).toMatch(/tlsSecrets\[0\]\.name/);
  });

  it('are refused without tls, with tls on HTTP, with a Secret the lab lacks or of another namespace, beside HTTP on one port', () => {
    const problems = problemsOf(
      gwLab(
        [],
        [
          { name: 'a', port: 443, protocol: 'HTTPS' },
          { name: 'b', port: 80, protocol: 'HTTP', tls: cert },
          { name: 'c', port: 8443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'nope' }] } },
          { name: 'd', port: 9443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert', namespace: 'other' }] } },
          { name: 'e', port: 80, protocol: 'HTTPS', hostname: 'x.example', tls: cert },
        ],
        secrets,
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/gateways\[0\]\.listeners\[0\]: listener "a" is HTTPS without tls: NGF marks it Invalid/),
      expect.stringMatching(/gateways\[0\]\.listeners\[1\]\.tls: tls must not be specified for protocols \['HTTP', 'TCP', 'UDP'\]/),
      expect.stringMatching(
        /listeners\[2\]\.tls\.certificateRefs\[0\]\.name: no Secret default\/nope: NGF marks the listener ResolvedRefs False \(InvalidCertificateRef\)/,
      ),
      expect.stringMatching(/listeners\[3\]\.tls\.certificateRefs\[0\]\.namespace: certificateRef other\/cert is in another namespace than its Gateway/),
      expect.stringMatching(/listeners\[4\]\.protocol: listener "e" is HTTPS on port 80, where "b" is HTTP: NGF marks both Conflicted \(ProtocolConflict\)/),
    ]);
  });
});

describe('ResponseHeaderModifier (HTTPRouteResponseHeaderModifier)', () => {
  it("hides the backend's header for set and remove; add keeps its value before a comma, in one header", () => {
    const lab = labOf(
      gwLab([
        {
          name: 'r',
          parentRefs: [{ name: 'gw' }],
          rules: [
            {
              filters: [
                {
                  type: 'ResponseHeaderModifier',
                  responseHeaderModifier: { set: [{ name: 'X-Set', value: 'one' }], add: [{ name: 'X-Add', value: 'two' }], remove: ['X-Gone'] },
                },
              ],
              backendRefs: [be('v1')],
            },
          ],
        },
      ]),
    );
    const conf = gatewayConf(lab, lab.gateway.gateways[0]!, '/run/netlab/gw');
    expect(conf).toContain(
      [
        '      proxy_hide_header X-Gone;',
        '      proxy_hide_header X-Set;',
        '      add_header X-Set "one" always;',
        '      proxy_hide_header X-Add;',
        '      add_header X-Add "${gw_radd_x_add}two" always;',
      ].join('\n'),
    );
    expect(conf).toContain(['  map $upstream_http_x_add $gw_radd_x_add {', '    default "$upstream_http_x_add,";', '    "" "";', '  }'].join('\n'));
    expect(
      problemsOf(gwLab([{ name: 'r', parentRefs: [{ name: 'gw' }], rules: [{ filters: [{ type: 'ResponseHeaderModifier' }], backendRefs: [be('v1')] }] }])),
    ).toEqual([expect.stringMatching(/filter\.responseHeaderModifier must be specified for ResponseHeaderModifier filter\.type/)]);
  });
});

describe('URLRewrite (HTTPRouteRewritePath, HTTPRouteRewriteHost)', () => {
  const rewrite = (urlRewrite: object, matches: object[] = [{ path: { type: 'PathPrefix', value: '/strip.me' } }]) =>
    labOf(gwLab([{ name: 'r', parentRefs: [{ name: 'gw' }], rules: [{ matches, filters: [{ type: 'URLRewrite', urlRewrite }], backendRefs: [be('v1')] }] }]));
  const conf = (lab: Lab) => gatewayConf(lab, lab.gateway.gateways[0]!, '/run/netlab/gw');

  it('sends the backend the rest after the matched prefix, one slash between; the whole path keeps the query', () => {
    expect(conf(rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } }))).toContain(
      ['      set $gw_rest "";', '      if ($request_uri ~ "^/strip\\.me/?(.*)$") { set $gw_rest $1; }'].join('\n'),
    );
    expect(conf(rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/one' } }))).toContain('proxy_pass http://default_v1_8080/one$gw_rest;');
    expect(conf(rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/one' } }))).toContain('if ($request_uri ~ "^/strip\\.me(.*)$")');
    expect(conf(rewrite({ path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } }))).toContain('proxy_pass http://default_v1_8080/one$is_args$args;');
    expect(conf(rewrite({ hostname: 'one.example.org' }))).toContain('      proxy_set_header Host "one.example.org";');
  });

  it('is refused where the CRD refuses it', () => {
    const problems = (urlRewrite: object, matches?: object[]) =>
      problemsOf(
        gwLab([
          {
            name: 'r',
            parentRefs: [{ name: 'gw' }],
            rules: [{ ...(matches ? { matches } : {}), filters: [{ type: 'URLRewrite', urlRewrite }], backendRefs: [be('v1')] }],
          },
        ]),
      );
    expect(problems({ path: { type: 'ReplaceFullPath' } })).toEqual([
      expect.stringMatching(/replaceFullPath must be specified when type is set to 'ReplaceFullPath'/),
    ]);
    expect(problems({ path: { type: 'ReplaceFullPath', replaceFullPath: '/a', replacePrefixMatch: '/b' } }, [{ path: { value: '/x' } }])).toEqual([
      expect.stringMatching(/type must be 'ReplacePrefixMatch' when replacePrefixMatch is set/),
    ]);
    expect(problems({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } }, [{ path: { type: 'Exact', value: '/x' } }])).toEqual([
      expect.stringMatching(/When using URLRewrite filter with path\.replacePrefixMatch, exactly one PathPrefix match must be specified/),
    ]);
    expect(problems({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b"; return 200 x' } }, [{ path: { value: '/x' } }]).join('\n')).toMatch(
      /replacePrefixMatch/,
    );
  });
});

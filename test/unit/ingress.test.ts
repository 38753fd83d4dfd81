import { describe, expect, it } from 'vitest';
import { nginxConf, nginxServers, serverName } from '../../src/plan/ingress-nginx.js';
import { planLab } from '../../src/plan/index.js';
import { tlsCommands } from '../../src/plan/tls.js';
import { nginxDecision } from '../../src/trace/ingress.js';
import { planToShell } from '../../src/plan/shell.js';
import { labOf, problemsOf, shippedLab } from '../helpers/labs.js';

/*
 * Ingress as ingress-nginx reads and renders it (REFERENCE-3 §3): which
 * Ingresses it serves, the server and location blocks it writes, and what the
 * API server refuses.
 */

const backend = (name: string, port: object = { number: 8080 }) => ({ service: { name, port } });
const echo = (name: string) => ({ name, labels: { app: name }, containers: [{ name: 'echo', listen: ['8080/tcp'] }] });
const svc = (name: string) => ({ name, selector: { app: name }, ports: [{ port: 8080 }] });

function ingressLab(ingresses: object[], extra: object = {}) {
  return {
    name: 'ing',
    nodes: [{ name: 'node1' }, { name: 'node2' }],
    pods: [echo('a'), echo('b')],
    services: [svc('a'), svc('b')],
    ingressClasses: [{ name: 'nginx', controller: 'k8s.io/ingress-nginx' }],
    ingresses,
    ...extra,
  };
}

const planScript = (lab: ReturnType<typeof labOf>) =>
  planToShell(planLab(lab, { stateDir: '/run/netlab/ing' }), { python: 'python3', agentPath: 'a', speakerPath: 's' });

const locations = (lab: ReturnType<typeof labOf>, host: string) =>
  nginxServers(lab.ingress.ingresses)
    .find((s) => s.host === host)!
    .locations.map((l) => `${l.modifier ? '= ' : ''}${l.path} → ${'upstream' in l.to ? l.to.upstream : l.to.status}`);

describe("ingress-nginx's controller", () => {
  it('two pods in ingress-nginx on different nodes, behind a NodePort Service (LoadBalancer once MetalLB announces a pool)', () => {
    const lab = labOf(ingressLab([{ name: 'i', ingressClassName: 'nginx', defaultBackend: backend('a') }]));
    const pods = lab.pods.filter((p) => p.system === 'ingress');
    expect(pods.map((p) => [p.name, p.node])).toEqual([
      ['ingress-nginx/ingress-nginx-controller-0', 'node1'],
      ['ingress-nginx/ingress-nginx-controller-1', 'node2'],
    ]);
    expect(lab.services.find((s) => s.ref === 'ingress-nginx/ingress-nginx-controller')).toMatchObject({ type: 'NodePort' });
    expect(lab.ingress.controller?.addresses).toEqual(['192.168.19.1', '192.168.19.2']);
    const lb = labOf(
      ingressLab([{ name: 'i', ingressClassName: 'nginx', defaultBackend: backend('a') }], {
        metallb: { ipAddressPools: [{ name: 'p', addresses: ['192.168.19.240/30'] }], l2Advertisements: [{ name: 'l2' }] },
      }),
    );
    expect(lb.ingress.controller?.addresses).toEqual(['192.168.19.240']);
  });

  it("serves its class, the default class, and the annotation's; ignores another class", () => {
    const lab = labOf(
      ingressLab([
        { name: 'mine', ingressClassName: 'nginx', defaultBackend: backend('a') },
        { name: 'other', ingressClassName: 'some-invalid-class-name', defaultBackend: backend('a') },
        { name: 'classless', defaultBackend: backend('a') },
        { name: 'annotated', ingressClassName: 'other', annotations: { 'kubernetes.io/ingress.class': 'nginx' }, defaultBackend: backend('a') },
      ]),
    );
    expect(lab.ingress.ingresses.map((i) => [i.name, i.served])).toEqual([
      ['mine', true],
      ['other', false],
      ['classless', false],
      ['annotated', true],
    ]);
    const withDefault = labOf({
      ...ingressLab([{ name: 'classless', defaultBackend: backend('a') }]),
      ingressClasses: [{ name: 'nginx', controller: 'k8s.io/ingress-nginx', default: true }],
    });
    expect(withDefault.ingress.ingresses[0]!.served).toBe(true);
  });
});

describe('the nginx configuration (REFERENCE-3 §3.3, §3.5)', () => {
  const rules = (host: string, paths: Array<[string, string, string]>) => ({
    host,
    http: { paths: paths.map(([path, pathType, to]) => ({ path, pathType, backend: backend(to) })) },
  });

  it('Exact is `= P`; Prefix is `P/` and its exact twin; an Exact on the same path owns `= P`', () => {
    const lab = labOf(
      ingressLab([
        {
          name: 'i',
          ingressClassName: 'nginx',
          rules: [
            rules('h', [
              ['/foo', 'Prefix', 'a'],
              ['/foo', 'Exact', 'b'],
              ['/bar', 'Exact', 'a'],
            ]),
          ],
        },
      ]),
    );
    expect(locations(lab, 'h')).toEqual(['/foo/ → default-a-8080', '= /foo → default-b-8080', '= /bar → default-a-8080', '/ → 404']);
  });

  it('a Prefix written with a trailing slash gets the bare path too; an Exact `/p/` a 404 for `/p`, so nginx never redirects', () => {
    const lab = labOf(
      ingressLab([
        {
          name: 'i',
          ingressClassName: 'nginx',
          rules: [
            rules('h', [
              ['/aaa/bbb/', 'Prefix', 'a'],
              ['/foo/', 'Exact', 'b'],
            ]),
          ],
        },
      ]),
    );
    expect(locations(lab, 'h')).toEqual(['/aaa/bbb/ → default-a-8080', '= /aaa/bbb → default-a-8080', '= /foo/ → default-b-8080', '= /foo → 404', '/ → 404']);
    const naive = nginxServers(lab.ingress.ingresses, { naive: true }).find((s) => s.host === 'h')!;
    expect(naive.locations.map((l) => `${l.modifier ? '= ' : ''}${l.path}`)).toEqual(['/aaa/bbb/', '= /foo/', '/']);
  });

  it('a server per host, sorted, rules of one host merged across Ingresses; `/` goes to the Ingress’s defaultBackend, else 404', () => {
    const lab = labOf(
      ingressLab([
        { name: 'one', ingressClassName: 'nginx', defaultBackend: backend('b'), rules: [rules('z.example', [['/x', 'Exact', 'a']])] },
        { name: 'two', ingressClassName: 'nginx', rules: [rules('z.example', [['/y', 'Exact', 'a']]), rules('a.example', [['/', 'Prefix', 'a']])] },
      ]),
    );
    expect(nginxServers(lab.ingress.ingresses).map((s) => s.host)).toEqual(['a.example', 'z.example', '_']);
    expect(locations(lab, 'z.example')).toEqual(['= /y → default-a-8080', '= /x → default-a-8080', '/ → default-b-8080']);
    expect(locations(lab, '_')).toEqual(['/ → default-b-8080']);
  });

  it('a wildcard host is the one-label regex; a backend without ready endpoints answers 503', () => {
    expect(serverName('*.foo.com')).toBe('~^(?<subdomain>[\\w-]+)\\.foo\\.com$');
    const lab = labOf({
      ...ingressLab([{ name: 'i', ingressClassName: 'nginx', rules: [rules('h', [['/', 'Prefix', 'gone']])] }]),
      services: [svc('a'), svc('b'), svc('gone')],
    });
    expect(locations(lab, 'h')).toEqual(['/ → 503']);
  });

  it('upstreams list the ready endpoints; every path nginx writes is in the lab state directory', () => {
    const lab = labOf(ingressLab([{ name: 'i', ingressClassName: 'nginx', defaultBackend: backend('a') }]));
    const conf = nginxConf(lab, 'pod', '/run/netlab/ing');
    expect(conf).toMatch(/upstream default-a-8080 \{\n {4}server 10\.244\.\d+\.\d+:8080; # a\n {2}\}/);
    const paths = [...conf.matchAll(/(?:^|\s)(\/[^\s;"]+)/gm)].map((m) => m[1]!).filter((p) => !p.startsWith('/^') && p !== '/');
    for (const p of paths.filter((x) => x.startsWith('/run') || x.startsWith('/var') || x.startsWith('/etc') || x.startsWith('/tmp')))
      expect(p.startsWith('/run/netlab/ing/')).toBe(true);
    for (const d of ['client_body_temp_path', 'proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path', 'pid', 'access_log', 'error_log'])
      expect(conf).toMatch(new RegExp(`\\b${d} /run/netlab/ing/ingress/pod`));
  });

  it('the plan starts nginx in each controller pod with its prefix, config and error log in the state directory', () => {
    const lab = shippedLab('ingress');
    const starts = planLab(lab, { stateDir: '/run/netlab/ingress' })
      .stages.flatMap((s) => s.ops)
      .filter((o) => o.kind === 'daemon.start' && o.name === 'nginx');
    expect(starts).toHaveLength(2);
    expect(starts[0]).toMatchObject({
      netns: 'netlab.ingress.pod.ingress-nginx.ingress-nginx-controller-0',
      argv: [
        'nginx',
        '-p',
        '/run/netlab/ingress/ingress/ingress-nginx.ingress-nginx-controller-0',
        '-c',
        '/run/netlab/ingress/ingress/ingress-nginx.ingress-nginx-controller-0/nginx.conf',
        '-e',
        '/run/netlab/ingress/ingress/ingress-nginx.ingress-nginx-controller-0/error.log',
      ],
    });
  });
});

describe('TLS', () => {
  const tlsLab = (annotations: object = {}) =>
    labOf(
      ingressLab([
        {
          name: 'i',
          ingressClassName: 'nginx',
          annotations,
          tls: [{ hosts: ['foo.bar.com'], secretName: 'conformance-tls' }],
          rules: [{ host: 'foo.bar.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('a') }] } }],
        },
      ]),
    );

  it("a TLS host listens on 443 with its secret's certificate, and answers plain HTTP with 308 unless ssl-redirect is off", () => {
    const conf = nginxConf(tlsLab(), 'pod', '/run/netlab/ing');
    const server = conf.slice(conf.indexOf('server_name foo.bar.com;'));
    expect(server).toMatch(/listen 443 ssl;\n {4}ssl_certificate \/run\/netlab\/ing\/ingress\/tls\/default\.conformance-tls\.crt;/);
    expect(server).toContain('return 308 https://$host$request_uri;');
    expect(nginxConf(tlsLab({ 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }), 'pod', '/run/netlab/ing')).not.toContain('return 308');
    expect(conf).toMatch(/listen 443 ssl default_server;\n {4}ssl_certificate \/run\/netlab\/ing\/ingress\/tls\/default\.crt;/);
  });

  it("certificates from the lab's CA, made by openssl in a lab namespace, the CA only when it is missing", () => {
    const ops = planLab(tlsLab(), { stateDir: '/run/netlab/ing' })
      .stages.flatMap((s) => s.ops)
      .filter((o) => o.kind === 'tls.issue');
    expect(ops.map((o) => (o.kind === 'tls.issue' ? [o.commonName, o.hosts] : []))).toEqual([
      ['Kubernetes Ingress Controller Fake Certificate', ['ingress.local']],
      ['foo.bar.com', ['foo.bar.com']],
    ]);
    const { ca, leaf } = tlsCommands(ops[1] as Extract<(typeof ops)[number], { kind: 'tls.issue' }>);
    expect(ca.slice(0, 3)).toEqual(['openssl', 'req', '-x509']);
    expect(leaf).toEqual(expect.arrayContaining(['-CA', '/run/netlab/ing/ingress/tls/ca.crt', '-addext', 'subjectAltName=DNS:foo.bar.com']));
    const script = planScript(tlsLab());
    expect(script).toContain('[ -f /run/netlab/ing/ingress/tls/ca.crt ] || ip netns exec netlab.ing.fabric openssl req -x509');
  });
});

describe('validation, as the API server refuses it', () => {
  it('neither rules nor a defaultBackend', () => {
    expect(problemsOf(ingressLab([{ name: 'i' }]))).toEqual([
      expect.stringContaining('ingresses[0]: spec: Invalid value: either `defaultBackend` or `rules` must be specified'),
    ]);
  });

  it('paths that are not normalised', () => {
    const bad = (path: string) => ingressLab([{ name: 'i', rules: [{ host: 'h', http: { paths: [{ path, pathType: 'Prefix', backend: backend('a') }] } }] }]);
    expect(problemsOf(bad('/a//b'))).toEqual([
      expect.stringContaining(`ingresses[0].rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain '//'`),
    ]);
    expect(problemsOf(bad('/a/../b'))).toEqual([expect.stringContaining("must not contain '/../'")]);
    expect(problemsOf(bad('/a/.'))).toEqual([expect.stringContaining("must not contain '/.'")]);
    expect(problemsOf(bad('foo')).length).toBeGreaterThan(0);
  });

  it('a backend Service or port the namespace does not have', () => {
    expect(problemsOf(ingressLab([{ name: 'i', defaultBackend: backend('nope') }]))).toEqual([
      expect.stringContaining('ingresses[0].defaultBackend.service.name: no Service "nope" in namespace "default"'),
    ]);
    expect(problemsOf(ingressLab([{ name: 'i', defaultBackend: backend('a', { number: 9 }) }]))).toEqual([
      expect.stringContaining('ingresses[0].defaultBackend.service.port.number: Service "default/a" has no port 9'),
    ]);
    expect(problemsOf(ingressLab([{ name: 'i', namespace: 'other', defaultBackend: backend('a') }]))).toEqual([
      expect.stringContaining('no Service "a" in namespace "other"'),
    ]);
  });

  it('hostile values stop at the schema: nothing can end an nginx directive or a header line', () => {
    const at = (rule: object) => problemsOf(ingressLab([{ name: 'i', rules: [rule] }]));
    expect(at({ host: 'a;b', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('a') }] } }).length).toBeGreaterThan(0);
    expect(at({ host: 'h', http: { paths: [{ path: '/x"; return 200 "pwned', pathType: 'Prefix', backend: backend('a') }] } }).length).toBeGreaterThan(0);
    expect(at({ host: 'h', http: { paths: [{ path: '/x{', pathType: 'Prefix', backend: backend('a') }] } }).length).toBeGreaterThan(0);
    expect(at({ host: '1.2.3.4:80', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('a') }] } }).length).toBeGreaterThan(0);
    const test = (http: object) => problemsOf(ingressLab([{ name: 'i', ingressClassName: 'nginx', defaultBackend: backend('a') }], { tests: [{ http }] }));
    expect(test({ from: 'external', to: 'ingress', headers: { 'X-A': 'v\r\nX-B: w' } }).length).toBeGreaterThan(0);
    expect(test({ from: 'external', to: 'ingress', headers: { 'X-A\r\nB': 'v' } }).length).toBeGreaterThan(0);
    expect(test({ from: 'external', to: 'ingress', path: '/a b' }).length).toBeGreaterThan(0);
    expect(test({ from: 'external', to: 'ingress', host: 'a\nb' }).length).toBeGreaterThan(0);
    expect(test({ from: 'external', to: 'ingress', method: 'GET / HTTP/1.1' }).length).toBeGreaterThan(0);
  });

  it('http tests aim at an Ingress a controller serves', () => {
    expect(
      problemsOf(
        ingressLab([{ name: 'i', ingressClassName: 'x', defaultBackend: backend('a') }], { tests: [{ http: { from: 'external', to: 'ingress/i' } }] }),
      ),
    ).toEqual([expect.stringContaining('tests[0].http.to: Ingress "default/i" has no address: class "x" is no controller\'s')]);
    expect(problemsOf({ ...ingressLab([]), ingressClasses: [], ingresses: [], tests: [{ http: { from: 'external', to: 'ingress' } }] })).toEqual([
      expect.stringContaining('tests[0].http.to: "ingress" needs an Ingress controller'),
    ]);
  });
});

describe("trace's model of nginx's choice (the same servers the config is written from)", () => {
  const lab = shippedLab('ingress');
  const said = (host: string, path: string, l = lab) => {
    const d = nginxDecision(l, host, path);
    return d.outcome.kind === 'proxy' ? d.outcome.service : d.outcome.kind === 'redirect' ? `301 ${d.outcome.location}` : String(d.outcome.status);
  };

  it('gives every answer of the conformance tables that real nginx gives', () => {
    for (const t of lab.tests.filter((x) => x.http && x.http.scheme !== 'https')) {
      const h = t.http!;
      const want = h.expect?.backend ? h.expect.backend.slice('service/'.length) : String(h.expect?.status ?? 200);
      expect(`${h.host} ${h.path}: ${said(h.host!, h.path!)}`).toBe(`${h.host} ${h.path}: ${want}`);
    }
  });

  it('says why: an exact match first, else the longest prefix; a wildcard server takes one label', () => {
    const d = nginxDecision(lab, 'prefix-path-rules', '/aaa/bbb/ccc');
    expect(d.locationWhy).toBe('location "/aaa/bbb/": the longest matching prefix (over "/aaa/", "/") (path-rules: Prefix /aaa/bbb, its subpaths)');
    expect(nginxDecision(lab, 'mixed-path-rules', '/foo').locationWhy).toMatch(
      /^location = "\/foo": an exact match, which nginx takes first \(path-rules: Exact \/foo\)/,
    );
    expect(nginxDecision(lab, 'bar.foo.com', '/').serverWhy).toBe('server_name ~^(?<subdomain>[\\w-]+)\\.foo\\.com$: *.foo.com matches bar.foo.com, one label');
    expect(nginxDecision(lab, 'baz.bar.foo.com', '/').serverWhy).toBe('no server_name is baz.bar.foo.com: the default server');
  });

  it('rendered naively, a proxied location ending in / answers its bare path with 301 (nginx auto-redirect)', () => {
    const naive = { ...lab, ingress: { ...lab.ingress, controller: { ...lab.ingress.controller!, rendering: 'naive' as const } } };
    expect(said('trailing-slash-path-rules', '/aaa/bbb', naive)).toBe('301 /aaa/bbb/');
    expect(said('trailing-slash-path-rules', '/foo', naive)).toBe('301 /foo/');
    expect(said('prefix-path-rules', '/aaaccc', naive)).toBe('aaa-prefix');
  });
});

describe("use-regex and rewrite-target (ingress-nginx's surprises 1-3)", () => {
  const lab = shippedLab('ingress-regex');

  it('turn every location of the host, of every Ingress, into a case-insensitive prefix regex', () => {
    const conf = nginxConf(lab, 'ingress-nginx.ingress-nginx-controller-0', '/run/netlab/x');
    expect(conf).toContain('    location ~* "^/u[A-Z]" {');
    // Another Ingress's Exact /HEAD, and another's Prefix /foo with its twin: regexes too.
    expect(conf).toContain('    location ~* "^/HEAD" {');
    expect(conf).toContain('    location ~* "^/foo/" {');
    expect(conf).toContain('    location ~* "^/foo" {');
    expect(conf).toContain('      rewrite "(?i)/something(/|$)(.*)" /$2 break;');
  });

  it("trace's model gives every answer of the lab's table, and says why", () => {
    for (const t of lab.tests) {
      const h = t.http!;
      const d = nginxDecision(lab, h.host, h.path!);
      const said = d.outcome.kind === 'proxy' ? `service/${d.outcome.service}` : String(d.outcome.kind === 'status' ? d.outcome.status : 301);
      expect(`${t.name}: ${said}`).toBe(`${t.name}: ${h.expect?.backend ?? String(h.expect?.status ?? 200)}`);
    }
    expect(nginxDecision(lab, 'regex.example', '/headers').locationWhy).toMatch(/^location ~\* "\^\/HEAD": the first case-insensitive regex that matches/);
    expect(nginxDecision(lab, 'rewrite.example', '/something/new').locationWhy).toMatch(/the backend receives \/new$/);
  });

  it('are refused where ingress-nginx refuses them: a regex needs ImplementationSpecific; a regex must compile and not backtrack exponentially', () => {
    const one = (path: string, pathType = 'ImplementationSpecific') =>
      problemsOf({
        name: 'r',
        nodes: [{ name: 'node1' }],
        pods: [{ name: 'a', labels: { app: 'a' }, containers: [{ name: 'e', listen: ['8080/tcp'] }] }],
        services: [{ name: 'a', selector: { app: 'a' }, ports: [{ port: 8080 }] }],
        ingressClasses: [{ name: 'nginx', controller: 'k8s.io/ingress-nginx', default: true }],
        ingresses: [
          {
            name: 'i',
            annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true' },
            rules: [{ host: 'a.example', http: { paths: [{ path, pathType, backend: { service: { name: 'a', port: { number: 8080 } } } }] } }],
          },
        ],
      });
    expect(one('/u[A-Z]', 'Prefix')).toEqual([expect.stringMatching(/path \/u\[A-Z\] cannot be used with pathType Prefix/)]);
    expect(one('/a(')).toEqual([expect.stringMatching(/is not a regular expression/)]);
    expect(one('/(a+)+')).toEqual([expect.stringMatching(/repeats a group that itself repeats/)]);
    for (const path of ['/a"', '/a\\', '/a;b', '/a b']) expect(one(path).join('\n'), path).toMatch(/path/);
    expect(one('/v[0-9]+/\\.json')).toEqual([]);
  });
});

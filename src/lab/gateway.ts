import { DEFAULT_NAMESPACE } from './namespaces.js';
import { regexProblem } from './path-regex.js';
import type { DocPath } from './path.js';
import type { RawLab, RawPod } from './raw.js';
import { problem, type RuleProblem } from './rules/problem.js';
import type { GatewayModel, HeaderModifier, RouteAction, RouteMatch, RouteStatus, Service, TlsSecret } from './types.js';

export type { GatewayModel, RouteAction, RouteMatch, RouteStatus };

type RawRoute = NonNullable<RawLab['httpRoutes']>[number];
type RawRule = NonNullable<RawRoute['rules']>[number];
type RawMatch = NonNullable<RawRule['matches']>[number];

/** NGINX Gateway Fabric's controller name (charts/nginx-gateway-fabric values.yaml). */
export const NGF = 'gateway.nginx.org/nginx-gateway-controller';

/** A Gateway's data plane as NGF (v2) makes it: an nginx Deployment and a Service, named after the Gateway. */
export function gatewayWorkload(gateway: string): string {
  return `${gateway}-nginx`;
}

/**
 * NGF's data plane for each Gateway of its class: one nginx pod (NGF's
 * default of one replica) in the Gateway's namespace and its Service, with a
 * port per listener port; LoadBalancer when MetalLB announces a pool (the
 * chart's default type), else NodePort.
 */
export function withGatewayPods(raw: RawLab): { raw: RawLab; gatewayPods: RawPod[] } {
  const classes = new Set((raw.gatewayClasses ?? []).filter((c) => c.controllerName === NGF).map((c) => c.name));
  const served = (raw.gateways ?? []).filter((g) => classes.has(g.gatewayClassName));
  if (served.length === 0) return { raw, gatewayPods: [] };
  const announced = (raw.metallb?.l2Advertisements ?? []).length + (raw.metallb?.bgpAdvertisements ?? []).length > 0;
  const pods: RawPod[] = [];
  const services: NonNullable<RawLab['services']> = [];
  for (const g of served) {
    const labels = { 'app.kubernetes.io/name': gatewayWorkload(g.name), 'gateway.networking.k8s.io/gateway-name': g.name };
    const ports = [...new Set(g.listeners.map((l) => l.port))].sort((a, b) => a - b);
    pods.push({
      name: gatewayWorkload(g.name),
      namespace: g.namespace ?? DEFAULT_NAMESPACE,
      labels,
      dnsPolicy: 'ClusterFirst',
      containers: [{ name: 'nginx', ports: ports.map((p) => ({ name: `port-${p}`, containerPort: p, protocol: 'TCP' as const })) }],
    });
    services.push({
      name: gatewayWorkload(g.name),
      namespace: g.namespace ?? DEFAULT_NAMESPACE,
      type: announced ? 'LoadBalancer' : 'NodePort',
      selector: labels,
      ports: ports.map((p) => ({ name: `port-${p}`, port: p, protocol: 'TCP' as const })),
    });
  }
  return { raw: { ...raw, pods: [...(raw.pods ?? []), ...pods], services: [...(raw.services ?? []), ...services] }, gatewayPods: pods };
}

/** What the API server's validation (CRD schema and CEL rules) refuses, and what a lab cannot mean. */
export function checkGateways(raw: RawLab): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Map<string, number>();
  (raw.gateways ?? []).forEach((g, i) => {
    const key = `${g.namespace ?? DEFAULT_NAMESPACE}/${g.name}`;
    if (seen.has(key)) problems.push(problem(['gateways', i, 'name'], `Gateway "${key}" is already defined at gateways[${seen.get(key)}]`));
    else seen.set(key, i);
    const names = new Set<string>();
    g.listeners.forEach((l, j) => {
      if (names.has(l.name)) problems.push(problem(['gateways', i, 'listeners', j, 'name'], `Listener name must be unique within the Gateway: "${l.name}"`));
      names.add(l.name);
      const twin = g.listeners.slice(0, j).find((o) => o.port === l.port && (o.hostname ?? '') === (l.hostname ?? ''));
      if (twin)
        problems.push(
          problem(['gateways', i, 'listeners', j], `Combination of port, protocol and hostname must be unique for each listener: "${twin.name}" has them`),
        );
      const at: DocPath = ['gateways', i, 'listeners', j];
      const other = g.listeners.slice(0, j).find((o) => o.port === l.port && o.protocol !== l.protocol);
      if (other)
        problems.push(
          problem(
            [...at, 'protocol'],
            `listener "${l.name}" is ${l.protocol} on port ${l.port}, where "${other.name}" is ${other.protocol}: NGF marks both Conflicted (ProtocolConflict) and serves neither`,
            'give each protocol its own port',
          ),
        );
      if (l.protocol === 'HTTP' && l.tls) problems.push(problem([...at, 'tls'], "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"));
      if (l.protocol === 'HTTPS' && !l.tls)
        problems.push(
          problem(
            at,
            `listener "${l.name}" is HTTPS without tls: NGF marks it Invalid (an HTTPS listener needs tls.certificateRefs)`,
            'add tls: { certificateRefs: [{ name: SECRET }] } and the Secret under tlsSecrets',
          ),
        );
      (l.tls?.certificateRefs ?? []).forEach((ref, n) => {
        const namespace = ref.namespace ?? g.namespace ?? DEFAULT_NAMESPACE;
        if (namespace !== (g.namespace ?? DEFAULT_NAMESPACE))
          problems.push(
            problem(
              [...at, 'tls', 'certificateRefs', n, 'namespace'],
              `certificateRef ${namespace}/${ref.name} is in another namespace than its Gateway: netlab does not read ReferenceGrants for Secrets yet`,
            ),
          );
        else if (!(raw.tlsSecrets ?? []).some((s) => s.name === ref.name && (s.namespace ?? DEFAULT_NAMESPACE) === namespace))
          problems.push(
            problem(
              [...at, 'tls', 'certificateRefs', n, 'name'],
              `no Secret ${namespace}/${ref.name}: NGF marks the listener ResolvedRefs False (InvalidCertificateRef)`,
              `tlsSecrets: ${(raw.tlsSecrets ?? []).map((s) => `${s.namespace ?? DEFAULT_NAMESPACE}/${s.name}`).join(', ') || 'none'}`,
            ),
          );
      });
    });
  });
  const routeSeen = new Map<string, number>();
  (raw.httpRoutes ?? []).forEach((r, i) => {
    const at: DocPath = ['httpRoutes', i];
    const key = `${r.namespace ?? DEFAULT_NAMESPACE}/${r.name}`;
    if (routeSeen.has(key)) problems.push(problem([...at, 'name'], `HTTPRoute "${key}" is already defined at httpRoutes[${routeSeen.get(key)}]`));
    else routeSeen.set(key, i);
    (r.rules ?? []).forEach((rule, j) => {
      const kinds = (rule.filters ?? []).map((f) => f.type);
      kinds.forEach((k, n) => {
        if (kinds.indexOf(k) !== n) problems.push(problem([...at, 'rules', j, 'filters', n], `May specify only one ${k} filter per rule`));
      });
      (rule.filters ?? []).forEach((f, n) => {
        // The CRD's CEL: the field named after the type must be there (requestHeaderModifier for RequestHeaderModifier).
        const field =
          f.type === 'URLRewrite'
            ? 'urlRewrite'
            : (`${f.type[0]!.toLowerCase()}${f.type.slice(1)}` as 'requestHeaderModifier' | 'responseHeaderModifier' | 'requestRedirect');
        if (!f[field]) problems.push(problem([...at, 'rules', j, 'filters', n], `filter.${field} must be specified for ${f.type} filter.type`));
        const path = f.urlRewrite?.path;
        if (path) {
          const where: DocPath = [...at, 'rules', j, 'filters', n, 'urlRewrite', 'path'];
          const full = path.replaceFullPath !== undefined;
          const prefix = path.replacePrefixMatch !== undefined;
          if (path.type === 'ReplaceFullPath' && !full)
            problems.push(problem(where, "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"));
          if (path.type !== 'ReplaceFullPath' && full) problems.push(problem(where, "type must be 'ReplaceFullPath' when replaceFullPath is set"));
          if (path.type === 'ReplacePrefixMatch' && !prefix)
            problems.push(problem(where, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"));
          if (path.type !== 'ReplacePrefixMatch' && prefix) problems.push(problem(where, "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"));
          const matches = rule.matches ?? [];
          if (path.type === 'ReplacePrefixMatch' && (matches.length !== 1 || (matches[0]!.path?.type ?? 'PathPrefix') !== 'PathPrefix'))
            problems.push(problem(where, 'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified'));
        }
      });
      if (kinds.includes('RequestRedirect') && kinds.includes('URLRewrite'))
        problems.push(
          problem([...at, 'rules', j, 'filters'], 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both'),
        );
      if (kinds.includes('RequestRedirect') && (rule.backendRefs ?? []).length > 0)
        problems.push(
          problem(
            [...at, 'rules', j, 'backendRefs'],
            'a RequestRedirect rule sends no request on: its backendRefs would never be used',
            'remove the backendRefs, or the redirect',
          ),
        );
      (rule.matches ?? []).forEach((m, n) => {
        if (m.path?.value === undefined) return;
        const where: DocPath = [...at, 'rules', j, 'matches', n, 'path', 'value'];
        const problemOfPath = m.path.type === 'RegularExpression' ? regexProblem(m.path.value) : urlPathProblem(m.path.value);
        if (problemOfPath) problems.push(problem(where, problemOfPath));
      });
      (rule.backendRefs ?? []).forEach((b, n) => {
        if ((b.kind ?? 'Service') === 'Service' && b.port === undefined)
          problems.push(problem([...at, 'rules', j, 'backendRefs', n], 'Must have port for Service reference'));
      });
    });
  });
  return problems;
}

/** An Exact or PathPrefix value: an absolute path of the characters a URL path keeps plainly (the CRD's CEL asks for the leading `/`). */
function urlPathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']";
  if (!/^\/[A-Za-z0-9._~/@:+=,%-]*$/.test(value)) return `path "${value}" has a character a path match cannot have (letters, digits and ._~/@:+=,%- only)`;
  return undefined;
}

/** Gateway hostnames: `*.example.com` matches any name that ends in `.example.com` (any number of labels). */
function hostMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
  return pattern === name;
}

/**
 * The hostnames a route takes on a listener: the intersection of the two
 * (the more specific of each matching pair), the route's all when the
 * listener has none, the listener's when the route has none; empty when they
 * do not intersect (the route is not accepted there).
 */
export function intersect(listener: string | undefined, route: string[]): string[] {
  if (!listener) return route.length > 0 ? route : [''];
  if (route.length === 0) return [listener];
  const out: string[] = [];
  for (const h of route) {
    if (hostMatches(listener, h)) out.push(h);
    else if (hostMatches(h, listener)) out.push(listener);
  }
  return [...new Set(out)];
}

/**
 * Each Gateway as NGF serves it, and each route's status: which listeners
 * accept which routes (sectionName, allowedRoutes, hostnames), what each
 * rule's backends resolve to, and per listener port and hostname the matches
 * nginx must weigh, in the spec's precedence.
 */
export function resolveGateways(
  raw: RawLab,
  services: Service[],
  pods: Array<{ name: string; system?: string; netns: string; ip: string; node: string }>,
  nodes: Array<{ address: string }>,
): { gateways: GatewayModel[]; routes: RouteStatus[]; secrets: TlsSecret[] } {
  const classes = new Set((raw.gatewayClasses ?? []).filter((c) => c.controllerName === NGF).map((c) => c.name));
  const gateways: GatewayModel[] = (raw.gateways ?? []).map((g) => {
    const namespace = g.namespace ?? DEFAULT_NAMESPACE;
    const ref = namespace === DEFAULT_NAMESPACE ? g.name : `${namespace}/${g.name}`;
    const svc = services.find((s) => s.name === gatewayWorkload(g.name) && s.namespace === namespace);
    const podRef = `${namespace === DEFAULT_NAMESPACE ? '' : `${namespace}/`}${gatewayWorkload(g.name)}`;
    const pod = pods.find((p) => p.system === 'gateway' && p.name === podRef);
    const lb = (svc?.loadBalancerIPs.length ?? 0) > 0;
    return {
      name: g.name,
      namespace,
      ref,
      className: g.gatewayClassName,
      served: classes.has(g.gatewayClassName),
      listeners: g.listeners.map((l) => {
        // NGF serves the first certificateRef (checkGateways has made sure it names a tlsSecret of the Gateway's namespace).
        const cert = l.tls?.certificateRefs[0];
        return {
          name: l.name,
          port: l.port,
          hostname: l.hostname,
          from: l.allowedRoutes?.namespaces?.from ?? 'Same',
          attachedRoutes: 0,
          ...(l.protocol === 'HTTPS' && cert ? { tls: `${cert.namespace ?? namespace}/${cert.name}` } : {}),
        };
      }),
      servers: [],
      service: svc?.ref ?? '',
      pod: pod ? { name: pod.name, netns: pod.netns, ip: pod.ip, node: pod.node } : undefined,
      addresses: lb ? [...svc!.loadBalancerIPs] : nodes.map((n) => n.address),
      entry: Object.fromEntries((svc?.ports ?? []).map((p) => [p.port, lb || p.nodePort === undefined ? p.port : p.nodePort])),
    };
  });
  const routes: RouteStatus[] = [];
  const byServer = new Map<string, { gateway: GatewayModel; port: number; hostname: string; matches: RouteMatch[]; tls?: string }>();
  (raw.httpRoutes ?? []).forEach((r, age) => {
    const namespace = r.namespace ?? DEFAULT_NAMESPACE;
    const ref = namespace === DEFAULT_NAMESPACE ? r.name : `${namespace}/${r.name}`;
    const resolved = resolveRules(r, namespace, services, raw.referenceGrants ?? []);
    const status: RouteStatus = { name: r.name, namespace, ref, hostnames: r.hostnames ?? [], parents: [], resolvedRefs: resolved.status };
    for (const parent of r.parentRefs) {
      const gwNamespace = parent.namespace ?? namespace;
      const gw = gateways.find((g) => g.name === parent.name && g.namespace === gwNamespace);
      const say = (ok: boolean, reason: string, message: string) =>
        status.parents.push({
          gateway: `${gwNamespace}/${parent.name}`,
          ...(parent.sectionName ? { sectionName: parent.sectionName } : {}),
          accepted: { status: ok, reason, message },
        });
      if (!gw || !gw.served) {
        say(
          false,
          'NoMatchingParent',
          gw ? `Gateway ${gw.ref} is of class ${gw.className}, which no controller here serves` : `no Gateway ${gwNamespace}/${parent.name}`,
        );
        continue;
      }
      const named = gw.listeners.filter((l) => parent.sectionName === undefined || l.name === parent.sectionName);
      if (named.length === 0) {
        say(false, 'NoMatchingParent', `Gateway ${gw.ref} has no listener named ${parent.sectionName}`);
        continue;
      }
      const allowed = named.filter((l) => l.from === 'All' || gw.namespace === namespace);
      if (allowed.length === 0) {
        say(false, 'NotAllowedByListeners', `route namespace ${namespace} is not allowed by the listeners of Gateway ${gw.ref}`);
        continue;
      }
      const taken = allowed.map((l) => ({ l, hosts: intersect(l.hostname, r.hostnames ?? []) })).filter((x) => x.hosts.length > 0);
      if (taken.length === 0) {
        say(false, 'NoMatchingListenerHostname', 'no hostname of the route matches a listener hostname');
        continue;
      }
      say(true, 'Accepted', 'The route is accepted');
      for (const { l, hosts } of taken) {
        l.attachedRoutes++;
        for (const hostname of hosts) {
          const key = `${gw.ref}|${l.port}|${hostname}`;
          const server = byServer.get(key) ?? { gateway: gw, port: l.port, hostname, matches: [], ...(l.tls ? { tls: l.tls } : {}) };
          const host = { exact: hostname.startsWith('*') || hostname === '' ? 0 : hostname.length, any: hostname.length };
          server.matches.push(...resolved.matches.map((m) => ({ ...m, route: ref, age, host })));
          byServer.set(key, server);
        }
      }
    }
    routes.push(status);
  });
  for (const s of byServer.values())
    s.gateway.servers.push({ port: s.port, hostname: s.hostname, matches: s.matches.sort(precedence), ...(s.tls ? { tls: s.tls } : {}) });
  for (const g of gateways) g.servers.sort((a, b) => a.port - b.port || (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  // The Secrets a served Gateway's HTTPS listener names: netlab issues their certificates.
  const named = new Set(gateways.filter((g) => g.served).flatMap((g) => g.listeners.flatMap((l) => (l.tls ? [l.tls] : []))));
  const secrets = (raw.tlsSecrets ?? []).map((s) => ({ key: `${s.namespace ?? DEFAULT_NAMESPACE}/${s.name}`, hosts: s.hosts })).filter((s) => named.has(s.key));
  return { gateways, routes, secrets };
}

/** The spec's precedence, first key first (httproute_types.go HTTPRouteRule and HTTPRouteMatch comments). */
export function precedence(a: RouteMatch, b: RouteMatch): number {
  const exact = (m: RouteMatch) => (m.path.type === 'Exact' ? 1 : 0);
  return (
    b.host.exact - a.host.exact ||
    b.host.any - a.host.any ||
    exact(b) - exact(a) ||
    b.path.value.length - a.path.value.length ||
    (b.method ? 1 : 0) - (a.method ? 1 : 0) ||
    b.headers.length - a.headers.length ||
    b.query.length - a.query.length ||
    a.age - b.age ||
    (a.route < b.route ? -1 : a.route > b.route ? 1 : 0) ||
    a.rule - b.rule ||
    a.match - b.match
  );
}

/** A route's rules as matches with their actions, and the route's ResolvedRefs condition. */
function resolveRules(
  r: RawRoute,
  namespace: string,
  services: Service[],
  grants: NonNullable<RawLab['referenceGrants']>,
): { matches: Array<Omit<RouteMatch, 'route' | 'age' | 'host'>>; status: RouteStatus['resolvedRefs'] } {
  let status: RouteStatus['resolvedRefs'] = { status: true, reason: 'ResolvedRefs', message: 'All references are resolved' };
  const fail = (reason: string, message: string) => {
    if (status.status) status = { status: false, reason, message };
  };
  const matches = (r.rules ?? [{}]).flatMap((rule, ruleIndex) => {
    const redirect = rule.filters?.find((f) => f.type === 'RequestRedirect')?.requestRedirect;
    const modifier = rule.filters?.find((f) => f.type === 'RequestHeaderModifier')?.requestHeaderModifier;
    const responseModifier = rule.filters?.find((f) => f.type === 'ResponseHeaderModifier')?.responseHeaderModifier;
    const urlRewrite = rule.filters?.find((f) => f.type === 'URLRewrite')?.urlRewrite;
    const rewritePath = urlRewrite?.path;
    const rewrite = urlRewrite
      ? {
          ...(urlRewrite.hostname ? { hostname: urlRewrite.hostname } : {}),
          ...(rewritePath
            ? {
                path: {
                  type: rewritePath.type,
                  value: (rewritePath.type === 'ReplaceFullPath' ? rewritePath.replaceFullPath : rewritePath.replacePrefixMatch) ?? '/',
                },
              }
            : {}),
        }
      : undefined;
    const backends: Extract<RouteAction, { kind: 'proxy' }>['backends'] = [];
    let invalidWeight = 0;
    for (const b of rule.backendRefs ?? []) {
      const weight = b.weight ?? 1;
      if ((b.kind ?? 'Service') !== 'Service') {
        fail('InvalidKind', `kind ${b.kind} of backendRef ${b.name} is not Service`);
        invalidWeight += weight;
        continue;
      }
      const ns = b.namespace ?? namespace;
      if (ns !== namespace && !granted(grants, namespace, ns, b.name)) {
        fail('RefNotPermitted', `backendRef ${ns}/${b.name} is in another namespace, and no ReferenceGrant there allows HTTPRoutes of ${namespace} to name it`);
        invalidWeight += weight;
        continue;
      }
      const svc = services.find((s) => s.name === b.name && s.namespace === ns);
      const port = svc?.ports.find((p) => p.port === b.port);
      if (!svc || !port) {
        fail('BackendNotFound', svc ? `Service ${ns}/${b.name} has no port ${b.port}` : `Service ${ns}/${b.name} not found`);
        invalidWeight += weight;
        continue;
      }
      backends.push({
        upstream: `${ns}_${b.name}_${b.port}`,
        service: svc.ref,
        weight,
        endpoints: port.endpoints.map((e) => ({ pod: e.pod, ip: e.ip, port: e.port })),
      });
    }
    if (invalidWeight > 0) backends.push({ upstream: 'invalid-backend-ref', service: '', weight: invalidWeight, endpoints: [] });
    const live = backends.filter((b) => b.weight > 0);
    const action: RouteAction = redirect
      ? {
          kind: 'redirect',
          status: (redirect.statusCode ?? 302) as 301 | 302,
          ...(redirect.scheme ? { scheme: redirect.scheme } : {}),
          ...(redirect.hostname ? { hostname: redirect.hostname } : {}),
          ...(redirect.port ? { port: redirect.port } : {}),
        }
      : live.length === 0 || live.every((b) => b.upstream === 'invalid-backend-ref')
        ? { kind: 'status', status: 500, why: (rule.backendRefs ?? []).length === 0 ? 'the rule has no backendRefs' : 'no valid backendRef with a weight' }
        : { kind: 'proxy', backends: live };
    const headerModifier = modifier ? modifierOf(modifier) : undefined;
    const responseHeaderModifier = responseModifier ? modifierOf(responseModifier) : undefined;
    const list: RawMatch[] = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
    return list.map((m, matchIndex) => ({
      rule: ruleIndex,
      match: matchIndex,
      path: { type: m.path?.type ?? 'PathPrefix', value: m.path?.value ?? '/' },
      ...(m.method ? { method: m.method } : {}),
      // Of duplicate names in a match only the first counts; names match case-insensitively.
      headers: dedupe((m.headers ?? []).map((h): [string, string] => [h.name.toLowerCase(), h.value])),
      query: dedupe((m.queryParams ?? []).map((q): [string, string] => [q.name, q.value])),
      action,
      ...(headerModifier ? { headerModifier } : {}),
      ...(responseHeaderModifier ? { responseHeaderModifier } : {}),
      ...(rewrite ? { rewrite } : {}),
    }));
  });
  return { matches, status };
}

function modifierOf(m: { set?: Array<{ name: string; value: string }>; add?: Array<{ name: string; value: string }>; remove?: string[] }): HeaderModifier {
  return {
    set: (m.set ?? []).map((h) => [h.name, h.value] as [string, string]),
    add: (m.add ?? []).map((h) => [h.name, h.value] as [string, string]),
    remove: m.remove ?? [],
  };
}

/** A ReferenceGrant in the Service's namespace lets HTTPRoutes of `from` name it (or every Service there, without a name). */
function granted(grants: NonNullable<RawLab['referenceGrants']>, from: string, to: string, service: string): boolean {
  return grants.some(
    (g) =>
      (g.namespace ?? DEFAULT_NAMESPACE) === to &&
      g.from.some((f) => f.kind === 'HTTPRoute' && f.namespace === from) &&
      g.to.some((x) => x.kind === 'Service' && (x.name === undefined || x.name === service)),
  );
}

function dedupe(pairs: Array<[string, string]>): Array<[string, string]> {
  const seen = new Set<string>();
  return pairs.filter(([n]) => (seen.has(n) ? false : (seen.add(n), true)));
}

/** `http:` tests aimed at `gateway/NAME` need a Gateway a controller of the lab serves. */
export function checkGatewayTargets(raw: RawLab): RuleProblem[] {
  const classes = new Set((raw.gatewayClasses ?? []).filter((c) => c.controllerName === NGF).map((c) => c.name));
  const problems: RuleProblem[] = [];
  (raw.tests ?? []).forEach((test, i) => {
    const to = test.http?.to;
    if (to === undefined || !to.startsWith('gateway')) return;
    const at: DocPath = ['tests', i, 'http', 'to'];
    const [a, b] = to.slice('gateway/'.length).split('/');
    const [namespace, name] = b === undefined ? [DEFAULT_NAMESPACE, a] : [a, b];
    const g = (raw.gateways ?? []).find((x) => x.name === name && (x.namespace ?? DEFAULT_NAMESPACE) === namespace);
    if (to === 'gateway' || !g)
      problems.push(problem(at, `no Gateway "${namespace}/${name ?? ''}"`, `gateways: ${(raw.gateways ?? []).map((x) => x.name).join(', ') || 'none'}`));
    else if (!classes.has(g.gatewayClassName))
      problems.push(
        problem(
          at,
          `Gateway "${namespace}/${name}" has no address: class "${g.gatewayClassName}" is no controller's`,
          'add a GatewayClass with controllerName: gateway.nginx.org/nginx-gateway-controller',
        ),
      );
    else if (test.http?.port !== undefined && !g.listeners.some((l) => l.port === test.http!.port))
      problems.push(problem(['tests', i, 'http', 'port'], `Gateway "${namespace}/${name}" has no listener on port ${test.http.port}`));
  });
  return problems;
}

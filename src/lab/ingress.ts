import { DEFAULT_NAMESPACE } from './namespaces.js';
import type { DocPath } from './path.js';
import { regexProblem } from './path-regex.js';
import type { RawLab, RawPod } from './raw.js';
import { problem, type RuleProblem } from './rules/problem.js';
import type { Endpoint, Ingress, IngressBackend, IngressController, Service } from './types.js';

type RawIngress = NonNullable<RawLab['ingresses']>[number];
type RawBackend = NonNullable<RawIngress['defaultBackend']>;

/** ingress-nginx's controller as its Helm chart deploys it (charts/ingress-nginx): namespace, names and labels. */
export const INGRESS_NGINX = 'k8s.io/ingress-nginx';
export const CONTROLLER_NAMESPACE = 'ingress-nginx';
export const CONTROLLER_NAME = 'ingress-nginx-controller';
export const CONTROLLER_LABELS = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' };
/** The certificate a TLS host without a secret, and an unknown SNI name, get: ingress-nginx's "fake" one. */
export const DEFAULT_CERTIFICATE = 'default';

/** The annotation that names a class the old way; it takes precedence over spec.ingressClassName. */
export const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/**
 * The lab with ingress-nginx's controller added when an IngressClass names
 * it: the controller Deployment's pods (two where there are two nodes, as
 * the DNS pods are placed, so they land on different nodes) and its
 * Service, of type LoadBalancer when MetalLB announces a pool (the chart's
 * default type) and NodePort otherwise (ingress-nginx's bare-metal guide).
 * Their ports 80 and 443 are served by nginx, not netlab's runtime.
 */
export function withIngressController(raw: RawLab): { raw: RawLab; controllerPods: RawPod | undefined } {
  if (!(raw.ingressClasses ?? []).some((c) => c.controller === INGRESS_NGINX)) return { raw, controllerPods: undefined };
  const controllerPods: RawPod = {
    name: CONTROLLER_NAME,
    namespace: CONTROLLER_NAMESPACE,
    replicas: Math.min(2, raw.nodes.length),
    labels: { ...CONTROLLER_LABELS },
    dnsPolicy: 'ClusterFirst',
    containers: [
      {
        name: 'controller',
        ports: [
          { name: 'http', containerPort: 80, protocol: 'TCP' },
          { name: 'https', containerPort: 443, protocol: 'TCP' },
        ],
      },
    ],
  };
  const announced = (raw.metallb?.l2Advertisements ?? []).length + (raw.metallb?.bgpAdvertisements ?? []).length > 0;
  const service = {
    name: CONTROLLER_NAME,
    namespace: CONTROLLER_NAMESPACE,
    type: announced ? ('LoadBalancer' as const) : ('NodePort' as const),
    selector: { ...CONTROLLER_LABELS },
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' as const },
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' as const },
    ],
  };
  return { raw: { ...raw, pods: [...(raw.pods ?? []), controllerPods], services: [...(raw.services ?? []), service] }, controllerPods };
}

/**
 * What the API server refuses in an Ingress (pkg/apis/networking/validation):
 * neither rules nor a default backend, a path that is not absolute or holds
 * `//`, `/./`, `/../` or an encoded slash; and what a lab cannot mean: a
 * backend Service or port the Ingress's namespace does not have.
 */
export function checkIngresses(raw: RawLab): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Map<string, number>();
  (raw.ingresses ?? []).forEach((ing, i) => {
    const at: DocPath = ['ingresses', i];
    const namespace = ing.namespace ?? DEFAULT_NAMESPACE;
    const key = `${namespace}/${ing.name}`;
    const twin = seen.get(key);
    if (twin !== undefined) problems.push(problem([...at, 'name'], `Ingress "${key}" is already defined at ingresses[${twin}]`));
    else seen.set(key, i);
    if (!ing.defaultBackend && (ing.rules ?? []).length === 0)
      problems.push(problem(at, 'spec: Invalid value: either `defaultBackend` or `rules` must be specified', 'add rules, or a defaultBackend'));
    if (ing.defaultBackend) problems.push(...checkBackend(raw, namespace, ing.defaultBackend, [...at, 'defaultBackend']));
    (ing.rules ?? []).forEach((rule, j) => {
      (rule.http?.paths ?? []).forEach((p, k) => {
        const pathAt: DocPath = [...at, 'rules', j, 'http', 'paths', k];
        const bad =
          ['//', '/./', '/../', '%2f', '%2F'].find((s) => p.path.includes(s)) ?? (/\/\.\.?$/.test(p.path) ? p.path.slice(p.path.lastIndexOf('/')) : undefined);
        if (bad)
          problems.push(
            problem([...pathAt, 'path'], `Invalid value: "${p.path}": must not contain '${bad}'`, 'write the path as a client sends it, normalised'),
          );
        // ingress-nginx's strict-validate-path-type (inspector/rules.go validPathType): regexes only as ImplementationSpecific.
        if (p.pathType !== 'ImplementationSpecific' && !/^\/[A-Za-z0-9._\-/]*$/.test(p.path))
          problems.push(
            problem(
              [...pathAt, 'path'],
              `path ${p.path} cannot be used with pathType ${p.pathType}`,
              'a regular expression needs pathType ImplementationSpecific',
            ),
          );
        else if (p.pathType === 'ImplementationSpecific' && regexProblem(p.path)) problems.push(problem([...pathAt, 'path'], regexProblem(p.path)!));
        problems.push(...checkBackend(raw, namespace, p.backend, [...pathAt, 'backend']));
      });
    });
  });
  return problems;
}

function checkBackend(raw: RawLab, namespace: string, backend: RawBackend, at: DocPath): RuleProblem[] {
  const svc = (raw.services ?? []).find((s) => s.name === backend.service.name && (s.namespace ?? DEFAULT_NAMESPACE) === namespace);
  if (!svc) {
    const here = (raw.services ?? []).filter((s) => (s.namespace ?? DEFAULT_NAMESPACE) === namespace).map((s) => s.name);
    return [
      problem(
        [...at, 'service', 'name'],
        `no Service "${backend.service.name}" in namespace "${namespace}"`,
        `an Ingress reaches only its own namespace's Services: ${here.join(', ') || 'none'}`,
      ),
    ];
  }
  const port = backend.service.port;
  const found = port.number !== undefined ? svc.ports.some((p) => p.port === port.number) : svc.ports.some((p) => p.name === port.name);
  if (found) return [];
  return [
    problem(
      [...at, 'service', 'port', port.number !== undefined ? 'number' : 'name'],
      `Service "${namespace}/${svc.name}" has no port ${port.number ?? `named "${port.name}"`}`,
      `its ports: ${svc.ports.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ')}`,
    ),
  ];
}

/**
 * Each Ingress as its controller reads it: the class it belongs to (the
 * annotation first, then spec.ingressClassName, then the default class) and
 * whether ingress-nginx serves it; its backends resolved to the Service
 * port's ready endpoints, which ingress-nginx proxies to directly (pod IP
 * and target port, not the ClusterIP).
 */
export function resolveIngresses(raw: RawLab, services: Service[]): Ingress[] {
  const classes = raw.ingressClasses ?? [];
  const fallback = classes.find((c) => c.default);
  return (raw.ingresses ?? []).map((ing) => {
    const namespace = ing.namespace ?? DEFAULT_NAMESPACE;
    const className = ing.annotations?.[CLASS_ANNOTATION] ?? ing.ingressClassName ?? fallback?.name;
    const served = classes.some((c) => c.name === className && c.controller === INGRESS_NGINX);
    const backend = (b: RawBackend): IngressBackend => resolveBackend(services, namespace, b);
    return {
      name: ing.name,
      namespace,
      ref: namespace === DEFAULT_NAMESPACE ? ing.name : `${namespace}/${ing.name}`,
      className,
      served,
      ...(ing.defaultBackend ? { defaultBackend: backend(ing.defaultBackend) } : {}),
      rules: (ing.rules ?? []).map((r) => ({
        host: r.host ?? '',
        paths: (r.http?.paths ?? []).map((p) => ({ path: p.path, pathType: p.pathType, backend: backend(p.backend) })),
      })),
      // A TLS entry without secretName still makes its hosts HTTPS, with the controller's default certificate.
      tls: (ing.tls ?? []).map((t) => ({ hosts: t.hosts, secret: t.secretName ? `${namespace}.${t.secretName}` : DEFAULT_CERTIFICATE })),
      sslRedirect: ing.annotations?.['nginx.ingress.kubernetes.io/ssl-redirect'] !== 'false',
      useRegex: ing.annotations?.['nginx.ingress.kubernetes.io/use-regex'] === 'true',
      ...(ing.annotations?.['nginx.ingress.kubernetes.io/rewrite-target'] !== undefined
        ? { rewriteTarget: ing.annotations['nginx.ingress.kubernetes.io/rewrite-target'] }
        : {}),
    };
  });
}

function resolveBackend(services: Service[], namespace: string, b: RawBackend): IngressBackend {
  const svc = services.find((s) => s.name === b.service.name && s.namespace === namespace)!;
  const port = svc.ports.find((p) => (b.service.port.number !== undefined ? p.port === b.service.port.number : p.name === b.service.port.name))!;
  const endpoints: Endpoint[] = port.endpoints;
  return {
    service: svc.ref,
    port: port.port,
    // internal/ingress/controller: upstreamName, `<namespace>-<service>-<port number or name>`.
    upstream: `${namespace}-${svc.name}-${b.service.port.number ?? b.service.port.name}`,
    endpoints: endpoints.map((e) => ({ pod: e.pod, ip: e.ip, port: e.port })),
  };
}

/** The controller's pods and Service, once resolved, and the address every served Ingress's status shows. */
export function ingressControllerOf(
  raw: RawLab,
  services: Service[],
  pods: Array<{ name: string; system?: string; netns: string; ip: string; node: string }>,
  nodes: Array<{ address: string }>,
): IngressController | undefined {
  const svc = services.find((s) => s.name === CONTROLLER_NAME && s.namespace === CONTROLLER_NAMESPACE);
  if (!svc) return undefined;
  const naive = (raw.ingressClasses ?? []).some((c) => c.controller === INGRESS_NGINX && c.rendering === 'naive');
  return {
    rendering: naive ? 'naive' : 'ingress-nginx',
    service: svc.ref,
    pods: pods.filter((p) => p.system === 'ingress').map((p) => ({ name: p.name, netns: p.netns, ip: p.ip, node: p.node })),
    // publishService: the controller Service's LoadBalancer address; with a NodePort Service, the nodes' own
    // addresses (ingress-nginx's --report-node-internal-ip-address).
    addresses: svc.loadBalancerIPs.length > 0 ? [...svc.loadBalancerIPs] : nodes.map((n) => n.address),
    httpNodePort: svc.ports.find((p) => p.port === 80)?.nodePort,
    httpsNodePort: svc.ports.find((p) => p.port === 443)?.nodePort,
  };
}

/**
 * `http:` tests aimed at `ingress` or `ingress/NAME` need a controller, and an
 * Ingress it serves: one of another class has no address to send to.
 */
export function checkHttpTargets(raw: RawLab): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const controller = (raw.ingressClasses ?? []).some((c) => c.controller === INGRESS_NGINX);
  const classes = raw.ingressClasses ?? [];
  (raw.tests ?? []).forEach((test, i) => {
    const to = test.http?.to;
    if (to === undefined || !to.startsWith('ingress')) return;
    const at: DocPath = ['tests', i, 'http', 'to'];
    if (!controller) return void problems.push(problem(at, `"${to}" needs an Ingress controller`, 'add an IngressClass with controller: k8s.io/ingress-nginx'));
    if (to === 'ingress') return;
    const [a, b] = to.slice('ingress/'.length).split('/');
    const [namespace, name] = b === undefined ? [DEFAULT_NAMESPACE, a] : [a, b];
    const ing = (raw.ingresses ?? []).find((x) => x.name === name && (x.namespace ?? DEFAULT_NAMESPACE) === namespace);
    if (!ing)
      return void problems.push(
        problem(at, `no Ingress "${namespace}/${name}"`, `ingresses: ${(raw.ingresses ?? []).map((x) => x.name).join(', ') || 'none'}`),
      );
    const className = ing.annotations?.[CLASS_ANNOTATION] ?? ing.ingressClassName ?? classes.find((c) => c.default)?.name;
    if (!classes.some((c) => c.name === className && c.controller === INGRESS_NGINX))
      problems.push(
        problem(
          at,
          `Ingress "${namespace}/${name}" has no address: ${className ? `class "${className}" is no controller's` : 'it has no class and no IngressClass is the default'}`,
        ),
      );
  });
  return problems;
}

/** Where a client reaches the controller: its LoadBalancer IP on 80/443, else the first node's address on the NodePort. */
export function controllerEntry(controller: IngressController, loadBalanced: boolean, https: boolean): { ip: string; port: number } {
  const nodePort = https ? controller.httpsNodePort : controller.httpNodePort;
  return { ip: controller.addresses[0]!, port: loadBalanced || nodePort === undefined ? (https ? 443 : 80) : nodePort };
}

import type { DocPath } from '../path.js';
import { TEST_KINDS, type RawAction, type RawLab, type RawTest } from '../raw.js';
import { addressToInt, containsAddress, isIPv4Address, parseCidr, type Cidr } from '../cidr.js';
import { summarize } from '../metallb-bgp.js';
import { lookupName, type NameRecords } from '../dns-names.js';
import { DEFAULT_NAMESPACE, findByRef } from '../namespaces.js';
import type { NetworkSettings, PodInstance } from '../settings.js';
import { REFERENCE_ATTRIBUTES } from '../attributes.js';
import { problem, type RuleProblem } from './problem.js';

const REFERENCE = /\$\{([^}]*)\}/g;

interface Names {
  nodes: string[];
  pods: PodInstance[];
  /** Services as tests name them: service/NAME, service/NAMESPACE/NAME. */
  services: string[];
  /** What cluster DNS holds, for DNS names as targets; undefined when the lab has none. */
  dns: NameRecords | undefined;
  /** The lab's own address blocks: a literal target must fall in one of them. */
  blocks: Array<{ label: string; cidr: Cidr }>;
}

/** Every name a pod or a test uses must exist. */
export function checkReferences(raw: RawLab, pods: PodInstance[], s: NetworkSettings): RuleProblem[] {
  const blocks = [
    { label: 'podCIDR', cidr: parseCidr(s.podCIDR) },
    { label: 'serviceCIDR', cidr: parseCidr(s.serviceCIDR) },
    { label: 'underlay', cidr: parseCidr(s.underlayCIDR) },
    { label: 'loopback', cidr: parseCidr('127.0.0.0/8') },
    ...poolBlocks(raw),
  ];
  const services = (raw.services ?? []).flatMap((s) => {
    const namespace = s.namespace ?? DEFAULT_NAMESPACE;
    return namespace === DEFAULT_NAMESPACE ? [`service/${s.name}`, `service/${namespace}/${s.name}`] : [`service/${namespace}/${s.name}`];
  });
  const names: Names = { nodes: raw.nodes.map((n) => n.name), pods, services, blocks, dns: dnsRecords(raw, s) };
  const problems: RuleProblem[] = [];
  (raw.pods ?? []).forEach((pod, i) => {
    if (pod.node !== undefined && !names.nodes.includes(pod.node)) {
      problems.push(problem(['pods', i, 'node'], `no node named "${pod.node}"`, `nodes: ${names.nodes.join(', ')}`));
    }
    if (pod.ip !== undefined && pod.replicas !== undefined) {
      problems.push(problem(['pods', i, 'ip'], 'a fixed ip cannot be shared by replicas', 'remove ip, or replicas'));
    }
  });
  (raw.tests ?? []).forEach((test, i) => problems.push(...checkTest(test, ['tests', i], names)));
  return problems;
}

function checkTest(test: RawTest, path: DocPath, names: Names): RuleProblem[] {
  const kinds = TEST_KINDS.filter((k) => test[k] !== undefined);
  if (kinds.length !== 1) {
    const message = kinds.length === 0 ? 'names no test' : `names ${kinds.length} tests (${kinds.join(', ')})`;
    return [problem(path, message, `give exactly one of: ${TEST_KINDS.join(', ')}`)];
  }
  const problems = checkAction(test, path, names);
  if (test.http) {
    if (!isNamed(test.http.from, names)) problems.push(unknownSource([...path, 'http', 'from'], test.http.from, names));
    const pod = test.http.expect?.pod;
    if (pod !== undefined && !findByRef(names.pods, pod).found) problems.push(unknownTarget([...path, 'http', 'expect', 'pod'], pod, names));
    const backend = test.http.expect?.backend;
    if (backend !== undefined && !names.services.includes(backend))
      problems.push(problem([...path, 'http', 'expect', 'backend'], `no Service "${backend}"`, `services: ${names.services.join(', ') || 'none'}`));
  }
  if (test.policyMatrix) {
    for (const side of ['from', 'to'] as const) {
      (test.policyMatrix[side] ?? []).forEach((ref, j) => {
        if (!findByRef(names.pods, ref).found)
          problems.push(problem([...path, 'policyMatrix', side, j], `no pod named "${ref}"`, 'a policy matrix is made of pods'));
      });
    }
  }
  if (test.dns) {
    if (!isNamed(test.dns.from, names)) problems.push(unknownSource([...path, 'dns', 'from'], test.dns.from, names));
    if (!names.services.includes('service/kube-system/kube-dns')) {
      problems.push(problem([...path, 'dns'], 'the lab has no cluster DNS to ask', 'set network.dns.enabled: true; it is on by default in labs with services'));
    }
  }
  const capture = test.capture;
  if (capture) {
    const at: DocPath = [...path, 'capture'];
    const target = capture.on.split(':')[0] ?? '';
    if (!isNamed(target, names)) problems.push(unknownTarget([...at, 'on'], target, names));
    problems.push(...checkAction(capture.while, [...at, 'while'], names));
    if (capture.filter) problems.push(...checkTemplates(capture.filter, [...at, 'filter'], names));
    const e = capture.expect ?? {};
    if (e.match) problems.push(...checkTemplates(e.match, [...at, 'expect', 'match'], names));
    if (e.min !== undefined && e.max !== undefined && e.min > e.max) {
      problems.push(problem([...at, 'expect', 'max'], `max ${e.max} is below min ${e.min}`));
    }
    if (e.count !== undefined && (e.min !== undefined || e.max !== undefined)) {
      problems.push(problem([...at, 'expect', 'count'], 'count cannot be combined with min or max', 'count means exactly that many packets'));
    }
  }
  return problems;
}

function checkAction(action: RawAction, path: DocPath, names: Names): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const kind of ['ping', 'tcp', 'udp'] as const) {
    const spec = action[kind];
    if (!spec) continue;
    if (!isNamed(spec.from, names)) problems.push(unknownSource([...path, kind, 'from'], spec.from, names));
    if (kind !== 'ping') problems.push(...checkEndpoints(action[kind]!, [...path, kind], names));
    if (isNamed(spec.to, names) || (kind !== 'ping' && names.services.includes(spec.to))) continue;
    if (names.dns && /[a-z]/i.test(spec.to) && !spec.to.startsWith('service/')) {
      const from = findByRef(names.pods, spec.from).found;
      if (from && lookupName(names.dns, from.namespace, spec.to)) continue;
      if (from) {
        problems.push(
          problem(
            [...path, kind, 'to'],
            `"${spec.to}" is no pod, node or service, and cluster DNS has no record for it from namespace "${from.namespace}"`,
            `a service's name (web, web.NAMESPACE, web.NAMESPACE.svc.${names.dns.domain}) or a pod record resolves`,
          ),
        );
        continue;
      }
    }
    if (!isIPv4Address(spec.to)) problems.push(unknownTarget([...path, kind, 'to'], spec.to, names));
    else if (!names.blocks.some((b) => containsAddress(b.cidr, spec.to))) {
      problems.push(
        problem(
          [...path, kind, 'to'],
          `${spec.to} is outside the lab`,
          `tests send traffic only inside the lab: ${names.blocks.map((b) => `${b.label} ${b.cidr.text}`).join(', ')}`,
        ),
      );
    }
  }
  return problems;
}

function checkTemplates(text: string, path: DocPath, names: Names): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const ref = match[1] ?? '';
    const dot = ref.lastIndexOf('.');
    const object = ref.slice(0, dot);
    const attribute = ref.slice(dot + 1);
    const kind = names.pods.some((p) => p.name === object) ? 'pod' : names.nodes.includes(object) ? 'node' : undefined;
    if (dot <= 0 || !kind) {
      problems.push(problem(path, `\${${ref}} names no pod or node`, `write \${NAME.ATTRIBUTE}, e.g. \${${names.pods[0]?.name ?? names.nodes[0]}.ip}`));
      continue;
    }
    const allowed: readonly string[] = REFERENCE_ATTRIBUTES[kind];
    if (!allowed.includes(attribute)) {
      problems.push(problem(path, `\${${ref}}: a ${kind} has no attribute "${attribute}"`, `a ${kind} has: ${allowed.join(', ')}`));
    }
  }
  return problems;
}

/** A node, the outside client, or a pod by NAMESPACE/NAME or by a bare name only one pod has. */
function isNamed(name: string, names: Names): boolean {
  return names.nodes.includes(name) || name === 'external' || findByRef(names.pods, name).found !== undefined;
}

/** `endpoints:` names pods, and asks about a service or a NodePort, never about one pod. */
function checkEndpoints(spec: NonNullable<RawAction['tcp']>, path: DocPath, names: Names): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (spec.endpoints !== undefined && findByRef(names.pods, spec.to).found) {
    problems.push(
      problem(
        [...path, 'endpoints'],
        `${spec.to} is one pod: only a service or a node's NodePort has endpoints to spread over`,
        'aim at service/NAME or at a node',
      ),
    );
  }
  if (Array.isArray(spec.endpoints)) {
    spec.endpoints.forEach((pod, i) => {
      if (!findByRef(names.pods, pod).found) problems.push(problem([...path, 'endpoints', i], `no pod named "${pod}"`, 'list the pods that may answer'));
    });
  }
  return problems;
}

function known(names: Names): string {
  const all = [...names.nodes, ...names.pods.map((p) => p.name)];
  const shown = all.slice(0, 12).join(', ');
  return all.length > 12 ? `${shown}, … (${all.length} in all)` : shown;
}

function unknownSource(path: DocPath, name: string, names: Names): RuleProblem {
  const twins = findByRef(names.pods, name).ambiguous;
  if (twins) return problem(path, `"${name}" names pods in ${twins.length} namespaces`, `write one of ${twins.map((p) => p.name).join(', ')}`);
  return problem(path, `no pod or node named "${name}"`, `traffic starts in a pod or node: ${known(names)}`);
}

function unknownTarget(path: DocPath, name: string, names: Names): RuleProblem {
  const twins = findByRef(names.pods, name).ambiguous;
  if (twins) return problem(path, `"${name}" names pods in ${twins.length} namespaces`, `write one of ${twins.map((p) => p.name).join(', ')}`);
  if (name.startsWith('service/'))
    return problem(
      path,
      `no service named "${name.slice('service/'.length)}"`,
      names.services.length > 0 ? `services: ${names.services.join(', ')}` : 'the lab has no services',
    );
  if (/^[\d./]+$/.test(name)) return problem(path, `"${name}" is not an IPv4 address`, 'a target is one address such as 10.244.1.3, without a prefix length');
  return problem(path, `no pod or node named "${name}"`, `use a name (${known(names)}) or an IPv4 address`);
}

/** The records cluster DNS will hold, as far as the file says (existence is what a rule needs, not addresses). */
function dnsRecords(raw: RawLab, s: NetworkSettings): NameRecords | undefined {
  const dns = (raw.services ?? []).find((x) => x.name === 'kube-dns' && x.namespace === 'kube-system');
  if (!dns) return undefined;
  const pods = parseCidr(s.podCIDR);
  return {
    domain: raw.network?.dns?.domain ?? 'cluster.local',
    namespaces: [
      ...new Set([DEFAULT_NAMESPACE, ...(raw.namespaces ?? []).map((n) => n.name), ...(raw.pods ?? []).flatMap((p) => (p.namespace ? [p.namespace] : []))]),
    ],
    podCIDR: { contains: (ip) => containsAddress(pods, ip) },
    services: (raw.services ?? []).map((x) => ({
      name: x.name,
      namespace: x.namespace ?? DEFAULT_NAMESPACE,
      clusterIP: x.clusterIP === 'None' ? undefined : (x.clusterIP ?? 'allocated'),
      endpoints: ['any'],
    })),
  };
}

/** MetalLB's pools hold the LoadBalancer addresses a test from outside aims at: inside the lab too. Entries that do not parse are the pool check's to report. */
function poolBlocks(raw: RawLab): Array<{ label: string; cidr: Cidr }> {
  return (raw.metallb?.ipAddressPools ?? []).flatMap((pool) =>
    pool.addresses.flatMap((entry) => {
      const [first, last] = entry.split('-');
      if (last !== undefined && isIPv4Address(first!) && isIPv4Address(last) && addressToInt(first!) <= addressToInt(last))
        return summarize(addressToInt(first!), addressToInt(last)).map((c) => ({ label: `pool ${pool.name}`, cidr: parseCidr(`${c.address}/${c.prefix}`) }));
      try {
        return [{ label: `pool ${pool.name}`, cidr: parseCidr(entry) }];
      } catch {
        return [];
      }
    }),
  );
}

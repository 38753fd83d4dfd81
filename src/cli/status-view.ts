import type { LabStatus } from '../lifecycle/status.js';
import { table } from './table.js';

/** A lab's status as `netlab status` prints it: problems first, then nodes, pods, services, policies, BGP. */
export function render(s: LabStatus): string {
  const out = [`lab ${s.name}: ${s.status}${s.backend ? `, ${s.backend}` : ''}${s.file ? `, from ${s.file}` : ''}`];
  for (const p of s.problems) out.push(`  ! ${p}`);
  if (s.nodes.length > 0) {
    out.push(
      '',
      table(
        ['NODE', 'ADDRESS', 'POD ADDRESSES', "PODS' GATEWAY", 'NAMESPACE'],
        s.nodes.map((n) => [n.name, n.address, n.podSubnet || '(no block yet)', `${n.gateway} (${n.bridge ?? 'proxy ARP'})`, mark(n.netns, n.present)]),
      ),
    );
  }
  const sessions = s.nodes.flatMap((n) => (n.bgp ?? []).map((b) => [n.name, b.session, b.peer, b.state]));
  if (sessions.length > 0) out.push('', table(['NODE', 'BGP SESSION', 'PEER', 'STATE (BIRD)'], sessions));
  if (s.pods.length > 0) {
    out.push(
      '',
      table(
        ['POD', 'NODE', 'IP', 'MAC', 'VETH PAIR (pod ⇄ node, as ip link shows it)', 'NAMESPACE'],
        s.pods.map((p) => [p.name, p.node, p.ip, p.mac, vethPair(p), mark(p.netns, p.present)]),
      ),
    );
  }
  if (s.services.length > 0) {
    out.push(
      '',
      table(
        ['SERVICE', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT', 'NODEPORT', 'ENDPOINTS'],
        s.services.flatMap((svc) =>
          svc.ports.map((p, i) => [
            i === 0 ? svc.name : '',
            i === 0 ? svc.type : '',
            i === 0 ? svc.clusterIP : '',
            i === 0 ? externalColumn(svc) : '',
            `${p.port}/${p.protocol}${p.name ? ` (${p.name})` : ''}`,
            p.nodePort === undefined ? '' : String(p.nodePort),
            p.endpoints.length > 0 ? p.endpoints.join(', ') : '(none: connections are rejected)',
          ]),
        ),
      ),
    );
  }
  if (s.policies.length > 0) {
    out.push(
      '',
      table(
        ['POLICY', 'TYPES', 'ISOLATES'],
        s.policies.map((p) => [p.name, p.types.join(', '), p.isolates.length > 0 ? p.isolates.join(', ') : '(no pod)']),
      ),
    );
  }
  if ((s.ingresses ?? []).length > 0) {
    out.push(
      '',
      table(
        ['INGRESS', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS'],
        s.ingresses!.map((i) => [i.name, i.class, i.hosts.join(',') || '*', i.address.join(',') || '(none: no controller serves its class)', i.ports]),
      ),
    );
  }
  if ((s.gateways ?? []).length > 0) {
    out.push(
      '',
      table(
        ['GATEWAY', 'CLASS', 'ADDRESS', 'PROGRAMMED', 'LISTENERS'],
        s.gateways!.map((g) => [
          g.name,
          g.class,
          g.address.join(',') || '(none)',
          g.programmed ? 'True' : 'False (no controller serves its class)',
          g.listeners.join('; '),
        ]),
      ),
    );
  }
  if ((s.httpRoutes ?? []).length > 0) {
    out.push(
      '',
      table(
        ['HTTPROUTE', 'HOSTNAMES', 'PARENTS', 'RESOLVEDREFS'],
        s.httpRoutes!.map((r) => [r.name, r.hostnames.join(','), r.parents.join('; '), r.resolvedRefs]),
      ),
    );
  }
  if (s.strayNamespaces.length > 0) out.push('', `stray namespaces: ${s.strayNamespaces.join(', ')}`);
  if (s.observed) out.push('', howRead(s.observed));
  return out.join('\n');
}

/** kubectl's EXTERNAL-IP: the LoadBalancer addresses (and their pool), the external IPs, `<pending>` or `<none>`. */
function externalColumn(svc: LabStatus['services'][number]): string {
  const lb = svc.loadBalancer ? svc.loadBalancer.ingress.map((i) => i.ip) : [];
  const all = [...lb, ...(svc.externalIPs ?? [])];
  if (all.length > 0) return `${all.join(',')}${svc.loadBalancer?.pool ? ` (pool ${svc.loadBalancer.pool})` : ''}`;
  return svc.loadBalancer ? '<pending>' : '<none>';
}

/** One line on how the kernel was read, so nobody mistakes a vouched-for pod for one read just now. */
function howRead(o: NonNullable<LabStatus['observed']>): string {
  const read = `read from the kernel: ${o.namespacesRead} namespace${o.namespacesRead === 1 ? '' : 's'}`;
  if (o.unchanged === 0) return `${read} (the lab's watcher: ${o.watcher})`;
  return `${read}; ${o.unchanged} more unchanged since \`netlab up\`, says the lab's watcher (\`--full\` reads them too)`;
}

/** `2: eth0@if5 ⇄ 5: veth2e19986c@if2`: the pairing seed 001 finds with ethtool -S and ip link. */
function vethPair(p: LabStatus['pods'][number]): string {
  if (p.hostVethIndex === undefined || p.eth0Index === undefined) return `eth0 ⇄ ${p.hostVeth}`;
  return `${p.eth0Index}: eth0@if${p.hostVethIndex} ⇄ ${p.hostVethIndex}: ${p.hostVeth}@if${p.eth0Index}`;
}

function mark(netns: string, present: boolean): string {
  return present ? netns : `${netns} (missing)`;
}

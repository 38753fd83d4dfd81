import { addressToInt, intToAddress, isIPv4Address, parseCidr, PRIVATE_BLOCKS } from './cidr.js';
import { DEFAULT_NAMESPACE } from './namespaces.js';
import { checkBgp } from './metallb-bgp.js';
import type { DocPath } from './path.js';
import type { RawLab } from './raw.js';
import { problem, type RuleProblem } from './rules/problem.js';
import type { AddressPool, L2Advertisement, MetalLB } from './types.js';

type RawService = NonNullable<RawLab['services']>[number];

/** The annotations MetalLB's controller reads (metallb.io/…; the deprecated metallb.universe.tf/ prefix is not accepted). */
export const LB_IPS_ANNOTATION = 'metallb.io/loadBalancerIPs';
export const POOL_ANNOTATION = 'metallb.io/address-pool';
export const SHARING_ANNOTATION = 'metallb.io/allow-shared-ip';

/** Addresses one pool entry may hold: a /16. Allocation walks them, so their number is bounded before any walk. */
export const MAX_POOL_ENTRY_ADDRESSES = 65_536;

/** A Service's LoadBalancer address, as MetalLB's controller writes it in status.loadBalancer.ingress. */
export interface LoadBalancerAllocation {
  ip: string;
  pool: string;
}

/**
 * MetalLB's configuration checks (its webhooks and internal/config):
 * entries that parse, no address in two pools, advertisements that name
 * pools and nodes that exist. Returns the pools as the allocator reads them.
 */
export function checkMetalLB(raw: RawLab): { metallb: MetalLB | undefined; problems: RuleProblem[] } {
  const m = raw.metallb;
  if (m === undefined) return { metallb: undefined, problems: [] };
  const problems: RuleProblem[] = [];
  const pools: AddressPool[] = [];
  const seen = new Map<string, number>();
  const claimed: Array<{ first: bigint; last: bigint; text: string; pool: string }> = [];
  (m.ipAddressPools ?? []).forEach((p, i) => {
    const at: DocPath = ['metallb', 'ipAddressPools', i];
    const twin = seen.get(p.name);
    if (twin !== undefined) problems.push(problem([...at, 'name'], `pool "${p.name}" is already defined at metallb.ipAddressPools[${twin}]`));
    else seen.set(p.name, i);
    const ranges: AddressPool['ranges'] = [];
    p.addresses.forEach((text, j) => {
      const path: DocPath = [...at, 'addresses', j];
      const range = parseEntry(text);
      if (typeof range === 'string')
        return void problems.push(problem(path, range, 'a CIDR such as 192.168.19.240/28, or a range such as 192.168.19.240-192.168.19.250'));
      if (range.last - range.first + 1n > BigInt(MAX_POOL_ENTRY_ADDRESSES))
        return void problems.push(
          problem(
            path,
            `${text} holds ${range.last - range.first + 1n} addresses; a lab's pool entry holds at most ${MAX_POOL_ENTRY_ADDRESSES}`,
            'use a /16 or smaller',
          ),
        );
      // internal/config/config.go: every CIDR of every pool against the ones already defined.
      const other = claimed.find((c) => c.first <= range.last && range.first <= c.last);
      if (other)
        problems.push(
          problem(
            path,
            `CIDR "${text}" in pool "${p.name}" overlaps with already defined CIDR "${other.text}" (pool "${other.pool}")`,
            'an address belongs to one pool',
          ),
        );
      claimed.push({ ...range, text, pool: p.name });
      ranges.push({ text, first: intToAddress(range.first), last: intToAddress(range.last) });
    });
    pools.push({ name: p.name, ranges, autoAssign: p.autoAssign ?? true, avoidBuggyIPs: p.avoidBuggyIPs ?? false });
  });
  const nodeNames = new Set(raw.nodes.map((n) => n.name));
  const l2: L2Advertisement[] = [];
  const adNames = new Map<string, number>();
  (m.l2Advertisements ?? []).forEach((ad, i) => {
    const at: DocPath = ['metallb', 'l2Advertisements', i];
    const twin = adNames.get(ad.name);
    if (twin !== undefined) problems.push(problem([...at, 'name'], `L2Advertisement "${ad.name}" is already defined at metallb.l2Advertisements[${twin}]`));
    else adNames.set(ad.name, i);
    (ad.ipAddressPools ?? []).forEach((name, j) => {
      if (!seen.has(name))
        problems.push(problem([...at, 'ipAddressPools', j], `no IPAddressPool is named "${name}"`, `pools: ${[...seen.keys()].join(', ') || 'none'}`));
    });
    (ad.nodeSelectors ?? []).forEach((name, j) => {
      if (!nodeNames.has(name)) problems.push(problem([...at, 'nodeSelectors', j], `no node is named "${name}"`));
    });
    l2.push({ name: ad.name, pools: ad.ipAddressPools ?? pools.map((p) => p.name), nodes: ad.nodeSelectors ?? raw.nodes.map((n) => n.name) });
  });
  const bgp = checkBgp(
    m,
    pools,
    raw.nodes.map((n) => n.name),
  );
  problems.push(...bgp.problems);
  return { metallb: { pools, l2Advertisements: l2, bgpPeers: bgp.bgpPeers, bgpAdvertisements: bgp.bgpAdvertisements }, problems };
}

/** A pool entry as an inclusive range, or why it is not one. */
function parseEntry(text: string): { first: bigint; last: bigint } | string {
  const dash = text.indexOf('-');
  const [a, b] = dash < 0 ? text.split('/') : [text.slice(0, dash), text.slice(dash + 1)];
  const bits = Number(b);
  if (!isIPv4Address(a ?? '') || (dash < 0 ? !/^\d{1,2}$/.test(b ?? '') || bits > 32 : !isIPv4Address(b ?? '')))
    return `${text} is neither a CIDR nor a range of two addresses`;
  const range = dash < 0 ? parseCidr(text) : { text, first: addressToInt(a!), last: addressToInt(b!) };
  if (dash < 0 && range.text !== text) return `${text} is not a network address: ${range.text} is`;
  if (range.last < range.first) return `${text} ends before it starts`;
  // A lab's addresses are private: a pool of public ones would count part of the internet as inside the lab.
  const inside = PRIVATE_BLOCKS.map(parseCidr).some((block) => block.first <= range.first && range.last <= block.last);
  if (!inside) return `${text} is not a private network (RFC 1918 or 100.64.0.0/10)`;
  return { first: range.first, last: range.last };
}

/**
 * Pools against what the lab already uses: an address that is a node's, the
 * outside client's, or inside the pod or service network would answer for
 * two things at once.
 */
export function checkPoolPlacement(metallb: MetalLB | undefined, taken: Array<{ what: string; first: bigint; last: bigint }>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  metallb?.pools.forEach((pool, i) =>
    pool.ranges.forEach((r, j) => {
      const first = addressToInt(r.first);
      const last = addressToInt(r.last);
      const hit = taken.find((t) => t.first <= last && first <= t.last);
      if (hit)
        problems.push(
          problem(
            ['metallb', 'ipAddressPools', i, 'addresses', j],
            `${r.text} overlaps ${hit.what}`,
            'give the pool addresses nothing else in the lab uses, e.g. the top of the node network',
          ),
        );
    }),
  );
  return problems;
}

/**
 * L2 mode answers ARP, so an announced address must be on the node network:
 * a client asks for a MAC only for an address on its own link. (BGP mode
 * routes, and has no such limit.)
 */
export function checkL2Reach(metallb: MetalLB | undefined, underlay: { text: string; first: bigint; last: bigint }): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const announced = new Set(metallb?.l2Advertisements.flatMap((ad) => ad.pools) ?? []);
  metallb?.pools.forEach((pool, i) => {
    if (!announced.has(pool.name)) return;
    pool.ranges.forEach((r, j) => {
      if (addressToInt(r.first) < underlay.first || addressToInt(r.last) > underlay.last)
        problems.push(
          problem(
            ['metallb', 'ipAddressPools', i, 'addresses', j],
            `${r.text} is announced by ARP (an L2Advertisement names pool "${pool.name}") but is not on the node network ${underlay.text}`,
            "L2 mode answers for addresses of the nodes' own subnet: take them from the top of it, e.g. 192.168.19.240-192.168.19.250",
          ),
        );
    });
  });
  return problems;
}

/**
 * The addresses MetalLB's controller gives LoadBalancer Services, in file
 * order (controller/service.go, internal/allocator/allocator.go): an
 * address asked for (the `metallb.io/loadBalancerIPs` annotation or
 * spec.loadBalancerIP) must lie in a pool; otherwise the pool the
 * `metallb.io/address-pool` annotation names, or the first autoAssign pool
 * with room; within a pool, entries in order and addresses ascending, the
 * first that checkSharing accepts. An address in use may be shared only by
 * Services with the same `metallb.io/allow-shared-ip` key, the same backend
 * key (the selector, under externalTrafficPolicy Local) and no port in
 * common. MetalLB walks autoAssign pools in Go map order, which varies;
 * netlab walks them in file order, so a lab always gets the same addresses.
 * Where MetalLB would leave a Service pending with an event, the lab file
 * is refused with the event's message at the Service.
 */
export function allocateLoadBalancers(
  raw: RawLab,
  metallb: MetalLB | undefined,
): { allocations: Map<number, LoadBalancerAllocation>; problems: RuleProblem[] } {
  const allocations = new Map<number, LoadBalancerAllocation>();
  const problems: RuleProblem[] = [];
  const pools = metallb?.pools ?? [];
  const inUse = new Map<string, { sharing: string; backend: string; services: string[]; ports: Map<string, string> }>();
  const poolFor = (ip: bigint): AddressPool | undefined =>
    pools.find((p) => !(p.avoidBuggyIPs && buggy(ip)) && p.ranges.some((r) => addressToInt(r.first) <= ip && ip <= addressToInt(r.last)));
  (raw.services ?? []).forEach((svc, i) => {
    if (svc.type !== 'LoadBalancer') return;
    const at: DocPath = ['services', i];
    const key = `${svc.namespace ?? DEFAULT_NAMESPACE}/${svc.name}`;
    const annotations = svc.annotations ?? {};
    const sharing = annotations[SHARING_ANNOTATION] ?? '';
    // internal/allocator/k8salloc: the backend key is the selector under Local, so Local Services share only with the same pods.
    const backend = svc.externalTrafficPolicy === 'Local' ? selectorString(svc) : '';
    const ports = svc.ports.map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);
    const assign = (ip: bigint): string | undefined => {
      const text = intToAddress(ip);
      const current = inUse.get(text);
      if (current) {
        if (current.sharing === '' || sharing === '' || current.sharing !== sharing || current.backend !== backend)
          return `can't change sharing key for "${key}", address also in use by ${current.services.join(',')}`;
        const clash = ports.find((p) => current.ports.has(p));
        if (clash) return `port ${clash} is already in use on "${text}"`;
      }
      const entry = current ?? { sharing, backend, services: [] as string[], ports: new Map<string, string>() };
      entry.services.push(key);
      for (const p of ports) entry.ports.set(p, key);
      inUse.set(text, entry);
      return undefined;
    };
    const asked = annotations[LB_IPS_ANNOTATION];
    if (asked !== undefined && svc.loadBalancerIP !== undefined) {
      problems.push(problem([...at, 'loadBalancerIP'], `service can not have both ${LB_IPS_ANNOTATION} and svc.Spec.LoadBalancerIP`, 'keep one of them'));
      return;
    }
    const wanted = asked !== undefined ? asked.split(',').map((s) => s.trim()) : svc.loadBalancerIP !== undefined ? [svc.loadBalancerIP] : [];
    const wantedAt: DocPath = asked !== undefined ? [...at, 'annotations', LB_IPS_ANNOTATION] : [...at, 'loadBalancerIP'];
    if (wanted.length > 1)
      return void problems.push(problem(wantedAt, 'a lab Service has one IPv4 address; MetalLB takes two only for dual-stack', 'name one address'));
    const poolName = annotations[POOL_ANNOTATION];
    if (wanted.length === 1) {
      let ip: bigint;
      try {
        ip = addressToInt(wanted[0]!);
      } catch {
        return void problems.push(problem(wantedAt, `"${wanted[0]}" is not an IPv4 address`));
      }
      const pool = poolFor(ip);
      if (!pool) return void problems.push(problem(wantedAt, `"${wanted[0]}" is not allowed in config`, 'no IPAddressPool of metallb holds it'));
      if (poolName !== undefined && poolName !== pool.name)
        return void problems.push(problem(wantedAt, `requested loadBalancer IP "${wanted[0]}" is not in pool "${poolName}"`));
      const why = assign(ip);
      if (why) return void problems.push(problem(wantedAt, why, `give the Services one ${SHARING_ANNOTATION} key to share an address`));
      allocations.set(i, { ip: wanted[0]!, pool: pool.name });
      return;
    }
    if (poolName !== undefined) {
      const pool = pools.find((p) => p.name === poolName);
      if (!pool)
        return void problems.push(
          problem([...at, 'annotations', POOL_ANNOTATION], `unknown pool "${poolName}"`, `pools: ${pools.map((p) => p.name).join(', ') || 'none'}`),
        );
      const ip = fromPool(pool, assign);
      if (ip === undefined) return void problems.push(problem(at, `no available IPs in pool "${poolName}"`, 'widen the pool, or share an address'));
      allocations.set(i, { ip: intToAddress(ip), pool: pool.name });
      return;
    }
    for (const pool of pools.filter((p) => p.autoAssign)) {
      const ip = fromPool(pool, assign);
      if (ip !== undefined) return void allocations.set(i, { ip: intToAddress(ip), pool: pool.name });
    }
    problems.push(
      problem(
        at,
        'no available IPs',
        pools.some((p) => p.autoAssign) ? 'every autoAssign pool is full: widen one, or share an address' : 'add an IPAddressPool under metallb.ipAddressPools',
      ),
    );
  });
  return { allocations, problems };
}

/** AllocateFromPool: entries in order, ascending, the first address the sharing rules accept. */
function fromPool(pool: AddressPool, assign: (ip: bigint) => string | undefined): bigint | undefined {
  for (const r of pool.ranges) {
    for (let ip = addressToInt(r.first); ip <= addressToInt(r.last); ip++) {
      if (pool.avoidBuggyIPs && buggy(ip)) continue;
      if (assign(ip) === undefined) return ip;
    }
  }
  return undefined;
}

/** ipConfusesBuggyFirmwares: an IPv4 address ending in .0 or .255. */
function buggy(ip: bigint): boolean {
  const last = ip & 0xffn;
  return last === 0n || last === 255n;
}

/** labels.Set(selector).String(): keys sorted, `k=v` joined by commas. */
function selectorString(svc: RawService): string {
  return Object.entries(svc.selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * `announcer:` tests name an address MetalLB gave out and announces by ARP
 * (an L2Advertisement names its pool), and a node of the lab.
 */
export function checkAnnouncerTests(raw: RawLab, metallb: MetalLB | undefined, allocations: Map<number, LoadBalancerAllocation>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const given = new Map([...allocations.values()].map((a) => [a.ip, a.pool]));
  const announced = new Set(metallb?.l2Advertisements.flatMap((ad) => ad.pools) ?? []);
  const nodes = raw.nodes.map((n) => n.name);
  (raw.tests ?? []).forEach((test, i) => {
    const a = test.announcer;
    if (!a) return;
    const at: DocPath = ['tests', i, 'announcer'];
    const pool = given.get(a.address);
    if (pool === undefined)
      problems.push(
        problem([...at, 'address'], `${a.address} is no LoadBalancer Service's address`, `addresses given out: ${[...given.keys()].join(', ') || 'none'}`),
      );
    else if (!announced.has(pool))
      problems.push(
        problem([...at, 'address'], `${a.address} comes from pool "${pool}", which no L2Advertisement announces`, 'add an L2Advertisement for the pool'),
      );
    if (!nodes.includes(a.node)) problems.push(problem([...at, 'node'], `no node named "${a.node}"`, `nodes: ${nodes.join(', ')}`));
  });
  return problems;
}

import { containsAddress, parseCidr } from '../lab/cidr.js';
import { listNftTable } from './observe.js';
import { run } from './run.js';

/** What kube-proxy's live table does with a new connection, as `nft -j list table ip kube-proxy` shows it. */
export type ServiceVerdict =
  | {
      kind: 'dnat';
      /** The map element that matched, as nft prints it. */
      element: string;
      /** The chains the packet passes before the pick: external-… for a NodePort, then service-… or local-…. */
      chains: string[];
      /** The candidates the random pick chooses from: each endpoint chain and where it DNATs to. */
      endpoints: Array<{ chain: string; ip: string; port: number }>;
      /** How the pick is made: `numgen random mod N` (nftables) or `-m statistic --mode random` (iptables). */
      pick: string;
      /** Whether the path marks the packet for masquerade (a NodePort with Cluster policy). */
      masquerade: boolean;
    }
  | { kind: 'reject' | 'drop'; element: string; why: string };

type Verdict = { goto?: { target: string }; jump?: { target: string }; drop?: null; accept?: null };
type Elem = [unknown, Verdict];
interface TableJson {
  maps: Map<string, Elem[]>;
  sets: Map<string, unknown[]>;
  rules: Map<string, Array<Array<Record<string, unknown>>>>;
}

/** The table, or undefined when the namespace has none (a pod, the fabric). */
export async function readKubeProxyTable(netns: string): Promise<TableJson | undefined> {
  const items = await listNftTable(netns, 'ip kube-proxy');
  if (!items) return undefined;
  const t: TableJson = { maps: new Map(), sets: new Map(), rules: new Map() };
  for (const item of items) {
    if (item.map) t.maps.set(item.map.name as string, (item.map.elem as Elem[] | undefined) ?? []);
    if (item.set) t.sets.set(item.set.name as string, (item.set.elem as unknown[] | undefined) ?? []);
    if (item.rule) {
      const chain = item.rule.chain as string;
      t.rules.set(chain, [...(t.rules.get(chain) ?? []), item.rule.expr as Array<Record<string, unknown>>]);
    }
  }
  return t;
}

/** A map key as nft would print it: `10.96.1.1 . tcp . 80`. */
function keyText(key: unknown): string {
  const k = key as { concat?: unknown[]; elem?: { val: unknown } };
  if (k?.elem) return keyText(k.elem.val);
  return k?.concat ? k.concat.map(String).join(' . ') : String(key);
}

function lookup(t: TableJson, map: string, key: string): Verdict | undefined {
  return t.maps.get(map)?.find(([k]) => keyText(k) === key)?.[1];
}

/**
 * Follows a new connection through kube-proxy's dispatch, as the kernel
 * would in nat-prerouting / nat-output: `service-ips` by address, protocol
 * and port, then `service-nodeports` at a node address, through the
 * external- and service- (or local-) chains to the numgen pick; or the
 * no-endpoint maps that reject or drop it.
 */
export function serviceVerdict(t: TableJson, dst: string, proto: string, port: number | undefined, src?: string): ServiceVerdict | undefined {
  if (port === undefined || (proto !== 'tcp' && proto !== 'udp')) return undefined;
  const clusterKey = `${dst} . ${proto} . ${port}`;
  // filter-prerouting-pre-dnat's firewall-check runs first: loadBalancerSourceRanges drop before any DNAT.
  const firewall = src === undefined ? undefined : lookup(t, 'firewall-ips', clusterKey)?.goto?.target;
  if (firewall) {
    const refused = (t.rules.get(firewall) ?? []).find((r) => r.some((e) => 'drop' in e) && !sourceIn(r, src!));
    if (refused)
      return {
        kind: 'drop',
        element: `firewall-ips { ${clusterKey} } ; ${firewall}`,
        why: `${src} is outside the Service's loadBalancerSourceRanges (${sourcesOf(refused).join(', ')}): dropped before DNAT`,
      };
  }
  const nodePortKey = `${proto} . ${port}`;
  const isNodeIP = (t.sets.get('nodeport-ips') ?? []).map(String).includes(dst);
  const hit = lookup(t, 'service-ips', clusterKey);
  const start = hit
    ? { element: `service-ips { ${clusterKey} }`, v: hit }
    : isNodeIP
      ? { element: `service-nodeports { ${nodePortKey} }`, v: lookup(t, 'service-nodeports', nodePortKey) }
      : undefined;
  if (start?.v?.goto) return follow(t, start.element, start.v.goto.target);
  const none = lookup(t, 'no-endpoint-services', clusterKey) ?? (isNodeIP ? lookup(t, 'no-endpoint-nodeports', nodePortKey) : undefined);
  if (none) {
    const rejected = none.goto?.target === 'reject-chain';
    return {
      kind: rejected ? 'reject' : 'drop',
      element: `no-endpoint-services { ${clusterKey} }`,
      why: rejected ? 'the service has no endpoints' : 'no endpoint on this node (traffic policy Local)',
    };
  }
  if ((t.sets.get('cluster-ips') ?? []).map(String).includes(dst))
    return { kind: 'reject', element: `cluster-ips { ${dst} }`, why: `no service listens on ${proto}/${port} of this ClusterIP` };
  return undefined;
}

/** The addresses a firewall rule's `ip saddr != …` match lets through: a prefix, an address or a set of them, as nft prints them. */
function sourcesOf(rule: Array<Record<string, unknown>>): string[] {
  const m = rule.find((e) => (e.match as { left?: { payload?: { field?: string } } } | undefined)?.left?.payload?.field === 'saddr')?.match as
    { right: unknown } | undefined;
  const one = (x: unknown): string => {
    const p = (x as { prefix?: { addr: string; len: number } }).prefix;
    return p ? `${p.addr}/${p.len}` : String(x);
  };
  if (!m) return [];
  const set = (m.right as { set?: unknown[] }).set;
  return set ? set.map(one) : [one(m.right)];
}

/** Whether `src` is among the addresses a rule's saddr match names: the rule's drop then does not apply. */
function sourceIn(rule: Array<Record<string, unknown>>, src: string): boolean {
  return sourcesOf(rule).some((s) => (s.includes('/') ? containsAddress(parseCidr(s), src) : s === src));
}

function follow(t: TableJson, element: string, first: string): ServiceVerdict | undefined {
  const chains: string[] = [];
  let chain: string | undefined = first;
  for (let step = 0; chain && step < 4; step++) {
    chains.push(chain);
    const rules: Array<Array<Record<string, unknown>>> = t.rules.get(chain) ?? [];
    const pick = rules.flatMap((r) => r).find((e) => e.vmap) as { vmap: { data: { set: Array<[number, Verdict]> } } } | undefined;
    if (pick) {
      const endpoints = pick.vmap.data.set.flatMap(([, v]) => {
        const target = v.goto?.target;
        const dnat = target ? (t.rules.get(target) ?? []).flatMap((r) => r).find((e) => e.dnat) : undefined;
        const d = dnat?.dnat as { addr: string; port: number } | undefined;
        return target && d ? [{ chain: target, ip: d.addr, port: d.port }] : [];
      });
      const masquerade = chains.some((c) => c.startsWith('external-')) && !chains.some((c) => c.startsWith('local-'));
      return { kind: 'dnat', element, chains, endpoints, pick: `numgen random mod ${endpoints.length}`, masquerade };
    }
    // An external- chain ends in a goto to the service- or local- chain.
    chain = rules
      .flatMap((r) => r)
      .map((e) => (e.goto as { target?: string } | undefined)?.target)
      .filter((x): x is string => !!x)
      .at(-1);
  }
  return undefined;
}

/** kube-proxy's iptables-mode rules of a namespace (`iptables-save`), by table and chain, with the node's own addresses. */
export interface IptablesRules {
  chains: Map<string, string[][]>;
  local: string[];
}

/** The nat and filter rules, or undefined when kube-proxy put none there (no KUBE-SERVICES chain). */
export async function readIptablesRules(netns: string): Promise<IptablesRules | undefined> {
  const r = await run('ip', ['netns', 'exec', netns, 'iptables-save']);
  if (r.exitCode !== 0 || !r.stdout.includes(':KUBE-SERVICES')) return undefined;
  const chains = new Map<string, string[][]>();
  let table = '';
  // iptables-save prints one rule a line, `-A CHAIN WORDS…`: split into words, no pattern needed.
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    if (!line.startsWith('-A ')) continue;
    const [, chain, ...words] = line.split(' ');
    const key = `${table}/${chain}`;
    const rules = chains.get(key);
    if (rules) rules.push(words);
    else chains.set(key, [words]);
  }
  const addrs = await run('ip', ['-n', netns, '-j', '-4', 'addr', 'show']);
  const local =
    addrs.exitCode === 0 ? (JSON.parse(addrs.stdout) as Array<{ addr_info: Array<{ local: string }> }>).flatMap((l) => l.addr_info.map((a) => a.local)) : [];
  return { chains, local };
}

/** A rule's value after an option (`--dport 80`), or undefined. */
function opt(rule: string[], name: string): string | undefined {
  const i = rule.indexOf(name);
  return i >= 0 ? rule[i + 1] : undefined;
}

/** The same question as serviceVerdict, asked of iptables mode's chains: KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXT-, KUBE-SVC-, KUBE-SEP-. */
export function iptablesVerdict(t: IptablesRules, dst: string, proto: string, port: number | undefined, src?: string): ServiceVerdict | undefined {
  if (port === undefined || (proto !== 'tcp' && proto !== 'udp')) return undefined;
  const matches = (r: string[], daddr: boolean) => opt(r, '-p') === proto && opt(r, '--dport') === String(port) && (!daddr || opt(r, '-d') === `${dst}/32`);
  const rules = (chain: string) => t.chains.get(chain) ?? [];
  const target = (r: string[]) => opt(r, '-j');
  const stopped = rules('filter/KUBE-SERVICES').find((r) => matches(r, true) && (target(r) === 'REJECT' || target(r) === 'DROP'));
  if (stopped) {
    const dropped = target(stopped) === 'DROP';
    return {
      kind: dropped ? 'drop' : 'reject',
      element: `filter KUBE-SERVICES -d ${dst}/32 --dport ${port} -j ${target(stopped)}`,
      why: dropped ? 'no endpoint on this node (internal traffic policy Local)' : 'the service has no endpoints',
    };
  }
  const isLocal = t.local.includes(dst);
  const external = isLocal ? rules('filter/KUBE-EXTERNAL-SERVICES').find((r) => matches(r, false)) : undefined;
  if (external)
    return {
      kind: target(external) === 'DROP' ? 'drop' : 'reject',
      element: `filter KUBE-EXTERNAL-SERVICES --dport ${port} -j ${target(external)}`,
      why: target(external) === 'DROP' ? 'no endpoint on this node (traffic policy Local)' : 'the service has no endpoints',
    };
  const entry = rules('nat/KUBE-SERVICES').find((r) => matches(r, true)) ?? (isLocal ? rules('nat/KUBE-NODEPORTS').find((r) => matches(r, false)) : undefined);
  if (!entry) return undefined;
  const element = `nat ${entry.includes('KUBE-NODEPORTS') ? 'KUBE-NODEPORTS' : 'KUBE-SERVICES'} -p ${proto} --dport ${port} -j ${target(entry)}`;
  const chains: string[] = [];
  let chain = target(entry);
  for (let step = 0; chain && step < 4; step++) {
    chains.push(chain);
    const body = rules(`nat/${chain}`);
    // KUBE-FW-: a source in loadBalancerSourceRanges goes on to KUBE-EXT-; any other is left untranslated for KUBE-PROXY-FIREWALL to drop.
    if (chain.startsWith('KUBE-FW-') && src !== undefined) {
      const allowed = body.filter((r) => opt(r, '-s') !== undefined && target(r)?.startsWith('KUBE-EXT-'));
      const through = allowed.find((r) => containsAddress(parseCidr(opt(r, '-s')!), src));
      if (!through)
        return {
          kind: 'drop',
          element: `filter KUBE-PROXY-FIREWALL -d ${dst}/32 --dport ${port} -j DROP`,
          why: `${src} is outside the Service's loadBalancerSourceRanges (${allowed.map((r) => opt(r, '-s')).join(', ')}): ${chain} leaves it untranslated and the filter drops it`,
        };
      chain = target(through);
      continue;
    }
    const seps = body.filter((r) => target(r)?.startsWith('KUBE-SEP-') && !r.includes('--rcheck'));
    if (seps.length > 0) {
      const endpoints = seps.flatMap((r) => {
        const sep = target(r)!;
        const dnat = rules(`nat/${sep}`).find((x) => target(x) === 'DNAT');
        const to = dnat ? opt(dnat, '--to-destination') : undefined;
        if (!to) return [];
        const [ip, p] = to.split(':');
        return [{ chain: sep, ip: ip!, port: Number(p) }];
      });
      const masquerade = chains.some((c) => c.startsWith('KUBE-EXT-')) && !chains.some((c) => c.startsWith('KUBE-SVL-'));
      return { kind: 'dnat', element, chains, endpoints, pick: '-m statistic --mode random', masquerade };
    }
    chain = body
      .map(target)
      .filter((x): x is string => !!x && x.startsWith('KUBE-S'))
      .at(-1);
  }
  return undefined;
}

import { addressToInt, intToAddress, isIPv4Address } from './cidr.js';
import type { DocPath } from './path.js';
import type { RawLab } from './raw.js';
import { problem, type RuleProblem } from './rules/problem.js';
import type { AddressPool, BgpAdvertisement, BgpPeer } from './types.js';

type RawMetalLB = NonNullable<RawLab['metallb']>;

/** MetalLB's BGPPeer timers when none is given (api/v1beta2 and internal/config parseTimers): 90 s, keepalive a third of it. */
export const DEFAULT_HOLD_TIME = 90;

/**
 * BGPPeers and BGPAdvertisements as MetalLB's webhooks and internal/config
 * check them: names once, timers that BGP can keep (parseTimers), pools,
 * nodes and peers that exist, aggregation lengths no shorter than a pool's
 * prefixes and one LOCAL_PREF per kind of update (validateBGPAdvPerPool).
 */
export function checkBgp(
  m: RawMetalLB,
  pools: AddressPool[],
  nodeNames: string[],
): { bgpPeers: BgpPeer[]; bgpAdvertisements: BgpAdvertisement[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const peerNames = new Map<string, number>();
  const bgpPeers: BgpPeer[] = [];
  (m.bgpPeers ?? []).forEach((p, i) => {
    const at: DocPath = ['metallb', 'bgpPeers', i];
    const twin = peerNames.get(p.name);
    if (twin !== undefined) problems.push(problem([...at, 'name'], `BGPPeer "${p.name}" is already defined at metallb.bgpPeers[${twin}]`));
    else peerNames.set(p.name, i);
    if (p.peerAddress !== 'external' && !isIPv4Address(p.peerAddress))
      problems.push(problem([...at, 'peerAddress'], `invalid BGPPeer address "${p.peerAddress}"`, 'an IPv4 address, or `external`'));
    const timers = parseTimers(p.holdTime, p.keepaliveTime);
    if (typeof timers === 'string') problems.push(problem([...at, timers.startsWith('invalid hold') ? 'holdTime' : 'keepaliveTime'], timers));
    (p.nodeSelectors ?? []).forEach((name, j) => {
      if (!nodeNames.includes(name)) problems.push(problem([...at, 'nodeSelectors', j], `no node is named "${name}"`, `nodes: ${nodeNames.join(', ')}`));
    });
    const { holdTime, keepaliveTime } = typeof timers === 'string' ? { holdTime: DEFAULT_HOLD_TIME, keepaliveTime: DEFAULT_HOLD_TIME / 3 } : timers;
    bgpPeers.push({
      name: p.name,
      myASN: p.myASN,
      peerASN: p.peerASN,
      peerAddress: p.peerAddress,
      holdTime,
      keepaliveTime,
      nodes: p.nodeSelectors ?? [...nodeNames],
    });
  });
  // Every peer is the one router: a node selected by two would open two sessions from one address to one address.
  bgpPeers.forEach((p, i) => {
    const earlier = bgpPeers.slice(0, i).find((q) => q.nodes.some((n) => p.nodes.includes(n)));
    if (earlier)
      problems.push(
        problem(
          ['metallb', 'bgpPeers', i, 'nodeSelectors'],
          `node ${p.nodes.find((n) => earlier.nodes.includes(n))} would open a second session to the router: BGPPeer "${earlier.name}" selects it too`,
          'give the BGPPeers disjoint nodeSelectors, or keep one BGPPeer',
        ),
      );
  });
  // One router, one AS: two peers naming it with different ASNs would be two routers at one address.
  const asns = new Set(bgpPeers.map((p) => p.peerASN));
  if (asns.size > 1)
    problems.push(
      problem(
        ['metallb', 'bgpPeers', bgpPeers.findIndex((p) => p.peerASN !== bgpPeers[0]!.peerASN), 'peerASN'],
        `the lab's router has one AS number; the BGPPeers give ${[...asns].join(' and ')}`,
        'give every BGPPeer the same peerASN',
      ),
    );
  // MetalLB's FRR modes take one local AS per router (concepts/bgp.md).
  const mine = new Set(bgpPeers.map((p) => p.myASN));
  if (mine.size > 1)
    problems.push(
      problem(
        ['metallb', 'bgpPeers', bgpPeers.findIndex((p) => p.myASN !== bgpPeers[0]!.myASN), 'myASN'],
        `the nodes speak with one AS number; the BGPPeers give ${[...mine].join(' and ')}`,
        'give every BGPPeer the same myASN',
      ),
    );

  const adNames = new Map<string, number>();
  const bgpAdvertisements: BgpAdvertisement[] = [];
  const poolNames = pools.map((p) => p.name);
  (m.bgpAdvertisements ?? []).forEach((ad, i) => {
    const at: DocPath = ['metallb', 'bgpAdvertisements', i];
    const twin = adNames.get(ad.name);
    if (twin !== undefined) problems.push(problem([...at, 'name'], `BGPAdvertisement "${ad.name}" is already defined at metallb.bgpAdvertisements[${twin}]`));
    else adNames.set(ad.name, i);
    (ad.ipAddressPools ?? []).forEach((name, j) => {
      if (!poolNames.includes(name))
        problems.push(problem([...at, 'ipAddressPools', j], `no IPAddressPool is named "${name}"`, `pools: ${poolNames.join(', ') || 'none'}`));
    });
    (ad.nodeSelectors ?? []).forEach((name, j) => {
      if (!nodeNames.includes(name)) problems.push(problem([...at, 'nodeSelectors', j], `no node is named "${name}"`, `nodes: ${nodeNames.join(', ')}`));
    });
    (ad.peers ?? []).forEach((name, j) => {
      if (!peerNames.has(name))
        problems.push(problem([...at, 'peers', j], `no BGPPeer is named "${name}"`, `peers: ${[...peerNames.keys()].join(', ') || 'none'}`));
    });
    const communities: Array<{ text: string; value: number }> = [];
    (ad.communities ?? []).forEach((c, j) => {
      const [a, n] = c.split(':').map(Number);
      if (a! > 0xffff || n! > 0xffff)
        problems.push(problem([...at, 'communities', j], `invalid community "${c}" in BGP advertisement: each half of AA:NN is at most 65535`));
      else if (!communities.some((x) => x.text === c)) communities.push({ text: `${a}:${n}`, value: a! * 65536 + n! });
    });
    const advertisement: BgpAdvertisement = {
      name: ad.name,
      pools: ad.ipAddressPools ?? poolNames,
      aggregationLength: ad.aggregationLength ?? 32,
      localPref: ad.localPref ?? 0,
      communities: communities.sort((x, y) => x.value - y.value).map((c) => c.text),
      nodes: ad.nodeSelectors ?? [...nodeNames],
      peers: ad.peers ?? [],
    };
    for (const pool of pools.filter((p) => advertisement.pools.includes(p.name))) {
      const why = aggregationProblem(advertisement.aggregationLength, pool);
      if (why) problems.push(problem([...at, 'aggregationLength'], why, 'an aggregate may not be longer than the pool: widen the length, or split the pool'));
      const clash = bgpAdvertisements.find(
        (other) => other.pools.includes(pool.name) && other.localPref !== advertisement.localPref && !compatible(advertisement, other),
      );
      if (clash)
        problems.push(
          problem(
            [...at, 'localPref'],
            `invalid local preference ${advertisement.localPref}: local preference ${clash.localPref} was already set for the same type of BGP update. Check existing BGP advertisements with common pools and aggregation lengths`,
            `BGPAdvertisement "${clash.name}" announces pool "${pool.name}" from the same nodes`,
          ),
        );
    }
    bgpAdvertisements.push(advertisement);
  });
  if (bgpAdvertisements.length > 0 && bgpPeers.length === 0)
    problems.push(
      problem(
        ['metallb', 'bgpAdvertisements', 0],
        'a BGPAdvertisement without a BGPPeer announces to nobody',
        'add a BGPPeer under metallb.bgpPeers (peerAddress: external)',
      ),
    );
  return { bgpPeers, bgpAdvertisements, problems };
}

/** parseTimers: a hold time of 0 or at least 3 s (rounded down to whole seconds), a keepalive no longer than it. */
function parseTimers(hold: string | undefined, keepalive: string | undefined): { holdTime: number; keepaliveTime: number } | string {
  if (hold === undefined && keepalive === undefined) return { holdTime: DEFAULT_HOLD_TIME, keepaliveTime: DEFAULT_HOLD_TIME / 3 };
  const h = hold !== undefined ? seconds(hold) : seconds(keepalive!) * 3;
  const k = keepalive !== undefined ? seconds(keepalive) : Math.floor(h / 3);
  if (h !== 0 && h < 3) return `invalid hold time "${hold}": must be 0 or >=3s`;
  if (h > 65_535) return `invalid hold time "${hold}": BGP's hold timer holds at most 65535 s`;
  if (k > h) return `invalid keepaliveTime "${keepalive}", must be lower than holdTime "${hold ?? `${h}s`}"`;
  return { holdTime: h, keepaliveTime: k };
}

/** A Kubernetes duration the schema let through (1h2m3s, 90s) in whole seconds, as time.Duration.Seconds() rounds it. */
function seconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text)!;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** validateBGPAdvPerPool: every entry of the pool, as CIDRs, has a prefix no longer than the aggregation length. */
function aggregationProblem(length: number, pool: AddressPool): string | undefined {
  for (const r of pool.ranges) {
    const lowest = Math.min(...summarize(addressToInt(r.first), addressToInt(r.last)).map((c) => c.prefix));
    if (length < lowest)
      return `invalid aggregation length ${length}: prefix ${lowest} in this pool is more specific than the aggregation length for addresses ${r.text}`;
  }
  return undefined;
}

/** ipaddr.Summarize: the fewest CIDRs that cover first..last exactly. */
export function summarize(first: bigint, last: bigint): Array<{ address: string; prefix: number }> {
  const out: Array<{ address: string; prefix: number }> = [];
  let at = first;
  while (at <= last) {
    let prefix = 32;
    while (prefix > 0) {
      const size = 1n << BigInt(33 - prefix);
      if (at % size !== 0n || at + size - 1n > last) break;
      prefix--;
    }
    out.push({ address: intToAddress(at), prefix });
    at += 1n << BigInt(32 - prefix);
  }
  return out;
}

/** advertisementsAreCompatible: different lengths, disjoint peers, or disjoint nodes never make the same update. */
function compatible(a: BgpAdvertisement, b: BgpAdvertisement): boolean {
  if (a.aggregationLength !== b.aggregationLength) return true;
  if (a.peers.length > 0 && b.peers.length > 0 && !a.peers.some((p) => b.peers.includes(p))) return true;
  return !a.nodes.some((n) => b.nodes.includes(n));
}

/**
 * Where the BGPPeers lead, once the lab's addresses are known: the one router
 * is the outside client, so a peer names it (`external`) or its address; and
 * Calico's BIRD already speaks BGP on every node (MetalLB's docs call the pair
 * a conflict: both want TCP 179 and the node's routes).
 */
export function checkBgpPlacement(raw: RawLab, peers: BgpPeer[], external: string | undefined): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (peers.length > 0 && raw.network?.backend === 'calico')
    problems.push(
      problem(
        ['metallb', 'bgpPeers', 0],
        "MetalLB's BGP speakers and Calico's BIRD would both speak BGP from every node",
        'use L2Advertisements with Calico, or another backend with BGPPeers (Calico can advertise Service addresses itself; netlab does not build that)',
      ),
    );
  peers.forEach((p, i) => {
    if (p.peerAddress === 'external' || p.peerAddress === external) return;
    problems.push(
      problem(
        ['metallb', 'bgpPeers', i, 'peerAddress'],
        `no router answers at ${p.peerAddress}: the lab's router is the outside client${external ? `, ${external}` : ''}`,
        'write peerAddress: external',
      ),
    );
  });
  return problems;
}

/** The prefix an address is announced as: the address masked to the aggregation length. */
export function aggregate(ip: string, length: number): string {
  const mask = length === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - length)) - 1n);
  return `${intToAddress(addressToInt(ip) & mask)}/${length}`;
}

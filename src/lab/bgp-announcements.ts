import { aggregate } from './metallb-bgp.js';
import type { BgpPeer, Lab, Service } from './types.js';

/** One prefix one node announces to one router, with the attributes its advertisements give it. */
export interface BgpRoute {
  prefix: string;
  /** The Services whose addresses the prefix covers (several when aggregated or shared). */
  services: string[];
  /** LOCAL_PREF, sent on iBGP sessions only; 0 when no advertisement sets one. */
  localPref: number;
  communities: string[];
}

/** What one node's speaker says to one BGPPeer. */
export interface BgpSpeech {
  peer: BgpPeer;
  routes: BgpRoute[];
}

/**
 * What each node's MetalLB speaker announces, to whom (speaker/bgp_controller.go
 * ShouldAnnounce and SetBalancer): an address of a pool that a
 * BGPAdvertisement selecting the node names, masked to the advertisement's
 * aggregationLength; only while the Service has a serving endpoint, and under
 * externalTrafficPolicy Local only from nodes that host one. It goes to the
 * advertisement's peers (all when none are named) that the node has a session
 * with (the BGPPeer's nodeSelectors). Every node with a session appears, with
 * the routes it announces (possibly none).
 */
export function bgpAnnouncements(lab: Lab): Map<string, BgpSpeech[]> {
  const m = lab.metallb;
  const out = new Map<string, BgpSpeech[]>();
  if (!m || m.bgpPeers.length === 0) return out;
  for (const node of lab.nodes) {
    const peers = m.bgpPeers.filter((p) => p.nodes.includes(node.name));
    if (peers.length === 0) continue;
    out.set(
      node.name,
      peers.map((peer) => ({ peer, routes: routesFrom(lab, node.name, peer.name) })),
    );
  }
  return out;
}

function routesFrom(lab: Lab, node: string, peer: string): BgpRoute[] {
  const byPrefix = new Map<string, BgpRoute>();
  for (const svc of lab.services) {
    const pool = svc.addressPool;
    if (pool === undefined || !announces(svc, node)) continue;
    for (const ad of lab.metallb!.bgpAdvertisements) {
      if (!ad.pools.includes(pool) || !ad.nodes.includes(node) || (ad.peers.length > 0 && !ad.peers.includes(peer))) continue;
      for (const ip of svc.loadBalancerIPs) {
        const prefix = aggregate(ip, ad.aggregationLength);
        const route = byPrefix.get(prefix) ?? { prefix, services: [], localPref: 0, communities: [] };
        if (!route.services.includes(svc.ref)) route.services.push(svc.ref);
        // Advertisements for one update agree on LOCAL_PREF (validation); their communities add up.
        route.localPref = Math.max(route.localPref, ad.localPref);
        route.communities = [...new Set([...route.communities, ...ad.communities])].sort(byCommunity);
        byPrefix.set(prefix, route);
      }
    }
  }
  return [...byPrefix.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/** A serving endpoint somewhere (Cluster), or on this node (Local). */
function announces(svc: Service, node: string): boolean {
  const nodes = new Set(svc.ports.flatMap((p) => p.endpoints.map((e) => e.node)));
  return svc.externalTrafficPolicy === 'Local' ? nodes.has(node) : nodes.size > 0;
}

function byCommunity(a: string, b: string): number {
  const value = (c: string) => c.split(':').reduce((acc, part) => acc * 65536 + Number(part), 0);
  return value(a) - value(b);
}

/** The router's view: each prefix with the nodes that announce it, the ECMP next hops it installs. */
export function routerRoutes(lab: Lab): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [node, speeches] of bgpAnnouncements(lab)) {
    for (const route of speeches.flatMap((s) => s.routes)) {
      const nodes = out.get(route.prefix) ?? [];
      if (!nodes.includes(node)) nodes.push(node);
      out.set(route.prefix, nodes);
    }
  }
  return out;
}

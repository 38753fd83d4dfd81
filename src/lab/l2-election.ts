import { createHash } from 'node:crypto';
import type { Lab, Service } from './types.js';

/** One LoadBalancer address as every speaker weighs it. */
export interface L2Announcement {
  ip: string;
  service: string;
  pool: string;
  /** The nodes an L2Advertisement of the pool selects: the candidates, when their speaker is alive. */
  nodes: string[];
  /** Nodes holding a ready endpoint: none means nobody announces; under Local only these are candidates. */
  endpointNodes: string[];
  local: boolean;
}

/** The Services' LoadBalancer addresses that an L2Advertisement announces, one entry per Service and address. */
export function l2Announcements(lab: Lab): L2Announcement[] {
  const ads = lab.metallb?.l2Advertisements ?? [];
  return lab.services.flatMap((svc) => {
    const pool = svc.addressPool;
    const selecting = ads.filter((ad) => pool !== undefined && ad.pools.includes(pool));
    if (pool === undefined || selecting.length === 0) return [];
    const nodes = lab.nodes.map((n) => n.name).filter((n) => selecting.some((ad) => ad.nodes.includes(n)));
    return svc.loadBalancerIPs.map((ip) => ({
      ip,
      service: svc.ref,
      pool,
      nodes,
      endpointNodes: endpointNodes(svc),
      local: svc.externalTrafficPolicy === 'Local',
    }));
  });
}

function endpointNodes(svc: Service): string[] {
  return [...new Set(svc.ports.flatMap((p) => p.endpoints.map((e) => e.node)))].sort();
}

/** speaker/layer2_controller.go ShouldAnnounce's order: sha256(node + "#" + ip), compared bytewise, ascending. */
export function electionOrder(nodes: string[], ip: string): string[] {
  const key = (n: string) => createHash('sha256').update(`${n}#${ip}`).digest();
  return [...nodes].sort((a, b) => Buffer.compare(key(a), key(b)));
}

/**
 * Who answers ARP for an address while the speakers of `alive` are up, and
 * why: the candidates (alive, selected by an advertisement, and under Local
 * holding an endpoint) in election order. No owner when the Service has no
 * ready endpoint or no candidate is left.
 */
export function l2Election(a: L2Announcement, alive: ReadonlySet<string>): { candidates: string[]; owner: string | undefined } {
  if (a.endpointNodes.length === 0) return { candidates: [], owner: undefined };
  const candidates = electionOrder(
    a.nodes.filter((n) => alive.has(n) && (!a.local || a.endpointNodes.includes(n))),
    a.ip,
  );
  return { candidates, owner: candidates[0] };
}

import { bgpAnnouncements } from '../lab/bgp-announcements.js';
import type { Lab } from '../lab/types.js';
import type { Trace } from './types.js';

/**
 * Says where the outside client's route to a LoadBalancer IP came from in
 * MetalLB's BGP mode: which nodes' speakers announced the prefix (every node
 * under Cluster, those with an endpoint under Local), and that the kernel
 * hashed this flow onto one of those next hops (ECMP): another source port may
 * take another node.
 */
export function withMetalLBRoute(lab: Lab, trace: Trace): Trace {
  const external = lab.external;
  const speeches = bgpAnnouncements(lab);
  if (!external || speeches.size === 0) return trace;
  const hops = trace.hops.map((hop) => {
    if (hop.netns !== external.netns || hop.kind !== 'route' || !hop.entry?.includes('proto bird')) return hop;
    const prefix = hop.entry.split(' ')[0]!;
    const key = prefix.includes('/') ? prefix : `${prefix}/32`;
    const by = [...speeches].filter(([, said]) => said.some((s) => s.routes.some((r) => r.prefix === key))).map(([node]) => node);
    const route = [...speeches.values()].flatMap((said) => said.flatMap((s) => s.routes)).find((r) => r.prefix === key);
    if (!route) return { ...hop, summary: `${hop.summary}; the route was learned over BGP, but no speaker of the lab file announces ${key}` };
    const chosen = lab.nodes.find((n) => hop.summary.includes(`via ${n.address} `))?.name;
    const policy = route.services.map((ref) => lab.services.find((s) => s.ref === ref)).some((s) => s?.externalTrafficPolicy === 'Local')
      ? ' (externalTrafficPolicy Local: only nodes with an endpoint announce)'
      : '';
    const spread =
      by.length > 1
        ? `; ECMP over ${by.length} next hops: this flow's addresses and ports hash to ${chosen ?? 'one of them'}, another source port may take another node`
        : '';
    return {
      ...hop,
      summary: `${hop.summary}; BGP route to ${key} (${route.services.join(', ')}), announced by MetalLB's speakers on ${by.join(', ')}${policy}${spread}`,
    };
  });
  return { ...trace, hops };
}

import { l2Announcements, type L2Announcement } from '../lab/l2-election.js';
import type { Lab } from '../lab/types.js';
import { HELPER_PROTOCOL } from '../runtime-path.js';
import type { Contribution } from './contribution.js';
import type { PlanContext } from './ops.js';

/** memberlist's port in MetalLB's chart (speaker.memberlist.mlBindPort): where speakers hear each other. */
export const SPEAKER_PORT = 7946;

/** What one node's speaker (runtime/netlab-speaker.py) is told: runtime/protocol.json `speaker.config`. */
export interface SpeakerConfig {
  protocol: number;
  lab: string;
  node: string;
  interface: 'eth0';
  address: string;
  mac: string;
  port: number;
  peers: Array<{ node: string; address: string }>;
  announce: L2Announcement[];
}

/**
 * MetalLB's speaker DaemonSet in L2 mode: a speaker on every node when the
 * lab has an L2Advertisement, each told every peer and every address, so
 * each decides alone and all decide alike (no lease, no leader).
 */
export function planSpeakers(lab: Lab, context: PlanContext): Contribution[] {
  if ((lab.metallb?.l2Advertisements.length ?? 0) === 0) return [];
  const announce = l2Announcements(lab);
  const peers = lab.nodes.map((n) => ({ node: n.name, address: n.address }));
  return lab.nodes.map((node) => {
    const config: SpeakerConfig = {
      protocol: HELPER_PROTOCOL,
      lab: lab.name,
      node: node.name,
      interface: 'eth0',
      address: node.address,
      mac: node.mac,
      port: SPEAKER_PORT,
      peers,
      announce,
    };
    const path = `${context.stateDir}/speaker-${node.name}.json`;
    // Configurations first, in the stage before: the speakers then start at once, each in its own job, and hear each other
    // during their warm-up.
    return {
      containers: [{ kind: 'file.write', path, content: `${JSON.stringify(config, null, 1)}\n` }],
      announce: [{ kind: 'speaker.start', netns: node.netns, node: node.name, config: path, log: `${context.stateDir}/speaker-${node.name}.log` }],
    };
  });
}

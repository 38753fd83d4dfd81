import type { Lab } from '../lab/types.js';
import type { Contribution } from './contribution.js';

/** The wire between nodes: one bridge in the lab's fabric namespace. */
export function planFabric(lab: Lab): Contribution {
  const { netns, bridge } = lab.fabric;
  return {
    namespaces: [{ kind: 'netns.add', netns }],
    links: [{ kind: 'link.add.bridge', netns, name: bridge, mac: '02:00:00:00:00:01', mtu: lab.network.underlay.mtu }],
    addresses: [
      { kind: 'link.up', netns, name: 'lo' },
      { kind: 'link.up', netns, name: bridge },
    ],
  };
}

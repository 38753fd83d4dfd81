import type { Lab } from '../lab/types.js';
import { planContainers } from './containers.js';
import { mergeContributions } from './contribution.js';
import { planExternal } from './external.js';
import { planDns } from './dns.js';
import { planFabric } from './fabric.js';
import { planFlannelMasq } from './flannel-masq.js';
import { planPolicies } from './policies.js';
import { planKubeProxy } from './kube-proxy/index.js';
import { planHostGw } from './host-gw.js';
import { planNodes } from './nodes.js';
import type { Plan, PlanContext } from './ops.js';
import { planPods } from './pods.js';
import { planVxlan } from './vxlan.js';

export type { Plan, Op, PlanContext, Stage, StageName } from './ops.js';

/** Lab → Plan. Pure: no I/O, the same lab always gives the same plan. */
export function planLab(lab: Lab, context: PlanContext): Plan {
  const backend = lab.network.backend;
  const crossNode = backend.kind === 'vxlan' ? planVxlan(lab, backend) : planHostGw(lab);
  return {
    lab: lab.name,
    stages: mergeContributions([
      planFabric(lab),
      planExternal(lab),
      ...planNodes(lab),
      ...crossNode,
      ...planPods(lab),
      ...planKubeProxy(lab),
      ...planFlannelMasq(lab),
      ...planPolicies(lab),
      planContainers(lab, context),
      ...planDns(lab, context),
    ]),
  };
}

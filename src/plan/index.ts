import { planCniPods } from './cni.js';
import type { Lab } from '../lab/types.js';
import { planContainers } from './containers.js';
import { mergeContributions, type Contribution } from './contribution.js';
import { planBird } from './bird.js';
import { planCalico } from './calico.js';
import { planCalicoIpip, planCalicoVxlan } from './calico-tunnels.js';
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
import { planGatewayNginx } from './gateway-nginx.js';
import { planIngressNginx } from './ingress-nginx.js';
import { planMetalLBBgp } from './metallb-bgp.js';
import { planSpeakers } from './metallb-l2.js';
import { planVxlan } from './vxlan.js';

/** The backend's part: how pods attach to their node and how nodes reach each other's pods. */
function planPodNetwork(lab: Lab, context: PlanContext): Contribution[] {
  const backend = lab.network.backend;
  switch (backend.kind) {
    case 'vxlan':
      return [...planVxlan(lab, backend), ...flannelPods(lab, context)];
    case 'host-gw':
      return [...planHostGw(lab), ...flannelPods(lab, context)];
    case 'calico': {
      const e = backend.encapsulation;
      const tunnels = e.kind === 'vxlan' ? planCalicoVxlan(lab, e) : e.kind === 'ipip' ? planCalicoIpip(lab, e) : [];
      return [...tunnels, ...planCalico(lab), ...planBird(lab, backend, context)];
    }
  }
}

/** flannel's pods: wired by netlab itself, or by CNI plugins as flannel's CNI plugin delegates to them. */
function flannelPods(lab: Lab, context: PlanContext): Contribution[] {
  return lab.network.cni.kind === 'builtin' ? planPods(lab) : planCniPods(lab, context);
}

export type { Plan, Op, PlanContext, Stage, StageName } from './ops.js';

/** Lab → Plan. Pure: no I/O, the same lab always gives the same plan. */
export function planLab(lab: Lab, context: PlanContext): Plan {
  return {
    lab: lab.name,
    stages: mergeContributions([
      planFabric(lab),
      planExternal(lab),
      ...planNodes(lab),
      ...planPodNetwork(lab, context),
      ...planKubeProxy(lab),
      ...planFlannelMasq(lab),
      ...planPolicies(lab),
      planContainers(lab, context),
      ...planDns(lab, context),
      ...planSpeakers(lab, context),
      ...planMetalLBBgp(lab, context),
      ...planIngressNginx(lab, context),
      ...planGatewayNginx(lab, context),
    ]),
  };
}

import type { Backend } from './types.js';

/** The backend in a few words, for `up` and `status`: `vxlan (flannel.1, VNI 1, UDP 8472)`, `calico (BGP AS 64512, full mesh, …)`. */
export function describeBackend(backend: Backend, withDevice: boolean): string {
  if (backend.kind === 'vxlan') return `vxlan (${withDevice ? `${backend.device}, ` : ''}VNI ${backend.vni}, UDP ${backend.port})`;
  if (backend.kind === 'host-gw') return 'host-gw';
  const peering = backend.routeReflector ? `route reflector ${backend.routeReflector}` : 'full mesh';
  return `calico (BGP AS ${backend.asNumber}, ${peering}, encapsulation ${backend.encapsulation.kind})`;
}

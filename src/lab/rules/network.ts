import { containsCidr, hasHostBits, isPrivate, overlaps, parseCidr, PRIVATE_BLOCKS } from '../cidr.js';
import type { DocPath } from '../path.js';
import type { RawLab } from '../raw.js';
import type { NetworkSettings } from '../settings.js';
import { problem, type RuleProblem } from './problem.js';

const POD_CIDR: DocPath = ['network', 'podCIDR'];
const SERVICE_CIDR: DocPath = ['network', 'serviceCIDR'];
const UNDERLAY_CIDR: DocPath = ['network', 'underlay', 'cidr'];

/** CIDRs are networks, do not overlap, and the MTU leaves room for the backend. */
export function checkNetwork(raw: RawLab, s: NetworkSettings): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const blocks: Array<{ path: DocPath; label: string; text: string }> = [
    { path: POD_CIDR, label: 'podCIDR', text: s.podCIDR },
    { path: SERVICE_CIDR, label: 'serviceCIDR', text: s.serviceCIDR },
    { path: UNDERLAY_CIDR, label: 'underlay.cidr', text: s.underlayCIDR },
  ];
  for (const b of blocks) problems.push(...checkHostBits(b.path, b.text), ...checkPrivate(b.path, b.label, b.text));
  const service = parseCidr(s.serviceCIDR);
  if (service.prefix < MIN_SERVICE_PREFIX) {
    problems.push(
      problem(
        SERVICE_CIDR,
        `${service.text} is too large for Services`,
        `kube-apiserver takes at most a /${MIN_SERVICE_PREFIX} (2^20 addresses), e.g. 10.96.0.0/12`,
      ),
    );
  }
  raw.nodes.forEach((node, i) => {
    if (node.podSubnet) problems.push(...checkHostBits(['nodes', i, 'podSubnet'], node.podSubnet));
  });

  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const a = blocks[i]!;
      const b = blocks[j]!;
      if (overlaps(parseCidr(a.text), parseCidr(b.text))) {
        problems.push(problem(b.path, `${b.text} overlaps ${a.label} ${a.text}`, `pod, service and underlay networks must not share addresses`));
      }
    }
  }

  const pod = parseCidr(s.podCIDR);
  if (s.backend !== 'calico' && s.nodeSubnetSize < pod.prefix) {
    problems.push(
      problem(
        ['network', 'nodeSubnetSize'],
        `/${s.nodeSubnetSize} node subnets do not fit in podCIDR ${pod.text}`,
        `use a prefix length of at least ${pod.prefix}`,
      ),
    );
  }

  problems.push(...checkMtu(raw, s));
  if (s.backend !== 'vxlan' && raw.network?.vxlan) {
    problems.push(problem(['network', 'vxlan'], `is only used with backend vxlan, and the backend is ${s.backend}`, 'remove it'));
  }
  const claimed: Array<{ node: string; subnet: ReturnType<typeof parseCidr> }> = [];
  raw.nodes.forEach((node, i) => {
    if (!node.podSubnet) return;
    const path: DocPath = ['nodes', i, 'podSubnet'];
    const subnet = parseCidr(node.podSubnet);
    const clash = claimed.find((c) => overlaps(c.subnet, subnet));
    if (clash) problems.push(problem(path, `${subnet.text} overlaps ${clash.subnet.text} of node "${clash.node}"`, 'each node owns its own slice of podCIDR'));
    claimed.push({ node: node.name, subnet });
    if (!containsCidr(pod, subnet)) {
      problems.push(problem(path, `${subnet.text} is outside podCIDR ${pod.text}`, 'a node subnet is a slice of the cluster pod network'));
    } else if (subnet.prefix > 30) {
      problems.push(problem(path, `${subnet.text} is too small`, 'a node subnet needs a network, a gateway, a pod and a broadcast address: /30 at most'));
    }
  });
  return problems;
}

/** kube-apiserver refuses an IPv4 --service-cluster-ip-range larger than a /12. */
const MIN_SERVICE_PREFIX = 12;

function checkPrivate(path: DocPath, label: string, text: string): RuleProblem[] {
  if (isPrivate(parseCidr(text))) return [];
  return [
    problem(
      path,
      `${label} ${text} is not a private network`,
      `a lab's addresses must lie in ${PRIVATE_BLOCKS.join(', ')}, so no test can ever aim at someone else's`,
    ),
  ];
}

function checkHostBits(path: DocPath, text: string): RuleProblem[] {
  if (!hasHostBits(text)) return [];
  const network = parseCidr(text).text;
  return [problem(path, `${text} has host bits set`, `the network is ${network}`)];
}

function checkMtu(raw: RawLab, s: NetworkSettings): RuleProblem[] {
  const largest = s.underlayMTU - s.overhead;
  if (s.mtu === undefined || s.mtu <= largest) return [];
  const why =
    s.overhead > 0
      ? `a ${s.backend === 'vxlan' ? 'VXLAN' : s.calico.encapsulation === 'vxlan' ? 'Calico VXLAN' : 'Calico IP-in-IP'} pod MTU must leave ${s.overhead} bytes for encapsulation: at most ${largest} with an underlay MTU of ${s.underlayMTU}`
      : `${s.backend} adds no header, but a pod MTU cannot exceed the underlay MTU of ${s.underlayMTU}`;
  return [problem(['network', 'mtu'], `${raw.network?.mtu} is too large`, why)];
}

import { MAX_OBJECT_NAME } from '../names.js';
import type { DocPath } from '../path.js';
import type { RawLab } from '../raw.js';
import type { PodInstance } from '../settings.js';
import { problem, type RuleProblem } from './problem.js';

/** Interface names the kernel refuses (they name the sysctl directories for every device). */
const RESERVED_IFNAMES = ['all', 'default'];

/** Nodes and pods share one namespace of names; containers and ports are unique per pod. */
export function checkNames(raw: RawLab, pods: PodInstance[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const owner = new Map<string, string>();
  raw.nodes.forEach((node, i) => {
    if (RESERVED_IFNAMES.includes(node.name)) {
      problems.push(
        problem(
          ['nodes', i, 'name'],
          `"${node.name}" cannot name a node`,
          `the node's port on the underlay bridge takes its name, and Linux keeps "all" and "default" for /proc/sys/net/*/conf/`,
        ),
      );
    }
    if (node.name === 'external')
      problems.push(
        problem(['nodes', i, 'name'], '"external" cannot name a node', 'it names the outside client (from: external) and the router BGPPeers reach'),
      );
    const first = owner.get(node.name);
    if (first) problems.push(problem(['nodes', i, 'name'], `"${node.name}" is already the name of ${first}`, 'nodes and pods share one set of names'));
    else owner.set(node.name, `nodes[${i}]`);
  });
  const reported = new Set<number>();
  for (const pod of pods) {
    const first = owner.get(pod.name);
    const label = pod.raw.replicas === undefined ? `pods[${pod.index}]` : `pods[${pod.index}] (replica ${pod.name})`;
    if (pod.podName.length > MAX_OBJECT_NAME && !reported.has(pod.index)) {
      reported.add(pod.index);
      problems.push(problem(['pods', pod.index, 'name'], `replica name "${pod.podName}" is longer than ${MAX_OBJECT_NAME} characters`, 'shorten the name'));
    }
    if (first && !reported.has(pod.index)) {
      reported.add(pod.index);
      problems.push(
        problem(
          ['pods', pod.index, 'name'],
          `"${pod.name}" is already the name of ${first}`,
          'nodes and pods share one set of names; replicas are named NAME-0, NAME-1, …',
        ),
      );
    } else if (!first) {
      owner.set(pod.name, label);
    }
  }
  (raw.pods ?? []).forEach((pod, i) => problems.push(...checkContainers(pod.containers ?? [], i)));
  return problems;
}

function checkContainers(containers: NonNullable<RawLab['pods']>[number]['containers'] & object, podIndex: number): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const names = new Map<string, number>();
  const ports = new Map<string, string>();
  containers.forEach((c, ci) => {
    const base = ['pods', podIndex, 'containers', ci];
    if (names.has(c.name)) problems.push(problem([...base, 'name'], `container "${c.name}" is defined twice in this pod`));
    names.set(c.name, ci);
    (c.listen ?? []).forEach((spec, li) => {
      const port = Number(spec.split('/')[0]);
      if (port < 1 || port > 65535) {
        problems.push(problem([...base, 'listen', li], `port ${port} is out of range`, 'ports go from 1 to 65535'));
        return;
      }
      claim(spec, [...base, 'listen', li], c.name);
    });
    // `ports` are served like `listen` (resolve.ts containersOf): the two lists share the pod's port space.
    (c.ports ?? []).forEach((p, pi) => claim(`${p.containerPort}/${p.protocol === 'UDP' ? 'udp' : 'tcp'}`, [...base, 'ports', pi, 'containerPort'], c.name));
  });
  function claim(spec: string, path: DocPath, container: string): void {
    const holder = ports.get(spec);
    if (holder === undefined) {
      ports.set(spec, container);
      return;
    }
    problems.push(
      problem(
        path,
        holder === container
          ? `${spec} is already served by this container (listen and ports name each port once)`
          : `${spec} is already served by container "${holder}"`,
        'containers of one pod share one network namespace, so two cannot bind the same port',
      ),
    );
  }
  return problems;
}

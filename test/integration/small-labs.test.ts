import { afterAll, describe, expect, it } from 'vitest';
import { ask, isRoot, labFileAs, netlab, ping, buildByHand } from '../helpers/kernel.js';

const SAME = 'it-same';
const CONTAINERS = 'it-containers';

describe.skipIf(!isRoot)('the small labs', () => {
  afterAll(async () => {
    await netlab(['down', SAME]);
    await netlab(['down', CONTAINERS]);
  });

  it('same-node: two pods reach each other across cni0', async () => {
    expect((await netlab(['up', await labFileAs('same-node', SAME)])).code).toBe(0);
    const a = `netlab.${SAME}.pod.pod-a`;
    expect((await ping(a, '10.244.0.3')).code).toBe(0);
    expect((await ask(a, 'udp', '10.244.0.3', 8080)).stdout).toBe('pod-b');
    expect((await netlab(['down', SAME])).code).toBe(0);
  });

  it('pod-containers: containers of one pod share its namespace and reach each other on localhost', async () => {
    expect((await netlab(['up', await labFileAs('pod-containers', CONTAINERS)])).code).toBe(0);
    const pod = `netlab.${CONTAINERS}.pod.redis-nginx`;
    expect((await ask(pod, 'tcp', '127.0.0.1', 6379, 'container')).stdout).toBe('redis');
    expect((await ask(pod, 'tcp', '127.0.0.1', 80, 'container')).stdout).toBe('nginx');
    const client = `netlab.${CONTAINERS}.pod.client`;
    expect((await ask(client, 'tcp', '10.244.0.10', 6379)).stdout).toBe('redis-nginx');
    expect((await ask(client, 'tcp', '10.244.0.10', 5432)).code).not.toBe(0);
    expect((await netlab(['down', CONTAINERS])).code).toBe(0);
  });
});

describe.skipIf(!isRoot)('the plan as a shell script', () => {
  const LAB = 'it-plan';
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('builds the same working lab when run by hand, and down removes it by its names', async () => {
    await buildByHand('same-node', LAB);
    const a = `netlab.${LAB}.pod.pod-a`;
    expect((await ping(a, '10.244.0.3')).code).toBe(0);
    expect((await ask(a, 'tcp', '10.244.0.3', 8080)).stdout).toBe('pod-b');
    const down = await netlab(['down', LAB]);
    expect(down.stdout).toMatch(/removed 4 namespaces and 1 process/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, ipj, isRoot, labFileAs, netlab, netnsOf, ping } from '../helpers/kernel.js';

const LAB = 'it-hostgw';
const ns = (kind: 'node' | 'pod', name: string) => `netlab.${LAB}.${kind}.${name}`;

describe.skipIf(!isRoot)('the host-gw lab on the real kernel', () => {
  beforeAll(async () => {
    const up = await netlab(['up', await labFileAs('host-gw', LAB)]);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('routes each remote pod subnet via that node, with no tunnel device', async () => {
    const routes = await ipj<Array<{ dst: string; gateway?: string; dev: string }>>(ns('node', 'node1'), ['route', 'show']);
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.244.1.0/24', gateway: '192.168.19.2', dev: 'eth0' }));
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.244.2.0/24', gateway: '192.168.19.3', dev: 'eth0' }));
    const links = await ipj<Array<{ ifname: string; linkinfo?: { info_kind: string } }>>(ns('node', 'node1'), ['-d', 'link', 'show']);
    expect(links.filter((l) => l.linkinfo?.info_kind === 'vxlan')).toEqual([]);
  });

  it('gives pods the full underlay MTU: 1472 bytes of ICMP pass with DF set', async () => {
    const [eth0] = await ipj<Array<{ mtu: number }>>(ns('pod', 'client'), ['link', 'show', 'eth0']);
    expect(eth0!.mtu).toBe(1500);
    expect((await ping(ns('pod', 'client'), '10.244.2.2', ['-M', 'do', '-s', '1472'])).code).toBe(0);
    expect((await ping(ns('pod', 'client'), '10.244.2.2', ['-M', 'do', '-s', '1473'])).code).not.toBe(0);
  });

  it('reaches pods on every node', async () => {
    for (const ip of ['10.244.0.2', '10.244.1.2', '10.244.2.2']) expect((await ping(ns('pod', 'client'), ip)).code, ip).toBe(0);
    expect((await ask(ns('pod', 'client'), 'tcp', '10.244.1.2', 80)).stdout).toBe('web-1');
    expect((await ask(ns('pod', 'web-2'), 'tcp', '10.244.1.2', 80, 'clientip')).stdout).toMatch(/^10\.244\.2\.2:/);
  });

  it('goes down completely', async () => {
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
  });
});

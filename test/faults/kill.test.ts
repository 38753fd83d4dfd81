import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, netlab, netnsOf, processesOf, stateDirExists, writeLab, until } from '../helpers/kernel.js';

/** A lab big enough that each phase of `up` lasts long enough to be hit. */
function bigLab(name: string): string {
  const nodes = Array.from({ length: 6 }, (_, i) => `  - name: node${i + 1}`).join('\n');
  return `name: ${name}\nnodes:\n${nodes}\npods:\n  - name: p\n    replicas: 300\n    containers: [{ name: c, listen: [80/tcp, 81/udp] }]\n`;
}

async function linkCount(netns: string): Promise<number> {
  const r = await execa('ip', ['-n', netns, '-j', 'link', 'show'], { reject: false });
  return r.exitCode === 0 ? JSON.parse(r.stdout).length : 0;
}

async function hasLink(netns: string, dev: string): Promise<boolean> {
  return (await execa('ip', ['-n', netns, 'link', 'show', dev], { reject: false })).exitCode === 0;
}

/** Mounts of the lab's namespaces (ip netns add bind-mounts each one under /run/netns). */
async function mountsOf(lab: string): Promise<string[]> {
  return (await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.includes(`/run/netns/netlab.${lab}.`));
}

const POINTS = {
  // Namespaces exist, no link yet.
  early: async (lab: string) => (await netnsOf(lab)).length > 0,
  // Node namespaces hold some of their pods' veths, not all.
  'half-way through the pods': async (lab: string) => (await linkCount(`netlab.${lab}.node.node1`)) > 20,
  // flannel.1 exists on a node: the VXLAN backend is being set up.
  'during backend setup': async (lab: string) => hasLink(`netlab.${lab}.node.node6`, 'flannel.1'),
};

describe.skipIf(!isRoot)('SIGKILL during up, then down', () => {
  const labs: string[] = [];
  afterAll(async () => {
    for (const lab of labs) await netlab(['down', lab]);
  });

  it.each(Object.keys(POINTS) as Array<keyof typeof POINTS>)('%s: down leaves no namespace, process, mount or state file', async (point) => {
    const lab = `it-kill-${point.split(' ')[0]}`;
    labs.push(lab);
    const file = await writeLab(lab, bigLab(lab));
    const child = execa(process.execPath, ['bin/netlab.js', 'up', file], { reject: false, env: { CI: 'true' } });
    await until(point, () => POINTS[point](lab));
    child.kill('SIGKILL');
    await child;
    const left = (await netnsOf(lab)).length;
    expect(left).toBeGreaterThan(0); // the kill did hit a half-built lab

    const status = JSON.parse((await netlab(['status', lab, '--json'])).stdout);
    expect(status.status).toBe('damaged');

    const down = await netlab(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await netnsOf(lab)).toEqual([]);
    expect(await processesOf(lab)).toEqual([]);
    expect(await mountsOf(lab)).toEqual([]);
    expect(await stateDirExists(lab)).toBe(false);
    expect((await readdir('/run/netlab')).filter((f) => f.startsWith(lab))).toEqual([]);
  });

  it('a killed build is rebuilt by the next up, which takes over the dead lock', async () => {
    const lab = 'it-kill-rebuild';
    labs.push(lab);
    const file = await writeLab(lab, bigLab(lab));
    const child = execa(process.execPath, ['bin/netlab.js', 'up', file], { reject: false, env: { CI: 'true' } });
    await until('links', () => POINTS['half-way through the pods'](lab));
    child.kill('SIGKILL');
    await child;
    const r = await netlab(['up', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(await netnsOf(lab)).toHaveLength(1 + 6 + 300);
    expect((await netlab(['down', lab])).code).toBe(0);
  });
});

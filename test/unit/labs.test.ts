import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shippedLab } from '../helpers/labs.js';

const labs = readdirSync('labs').filter((f) => f.endsWith('.yaml'));

describe('shipped labs', () => {
  it.each(labs)('%s validates, points editors at the schema and says what it shows', (file) => {
    const text = readFileSync(`labs/${file}`, 'utf8');
    expect(text.startsWith('# yaml-language-server: $schema=../schemas/lab.schema.json')).toBe(true);
    expect(text.split('\n').filter((l) => l.startsWith('#')).length).toBeGreaterThan(4);
    const lab = shippedLab(file.replace(/\.yaml$/, ''));
    expect(`${lab.name}.yaml`).toBe(file);
    expect(lab.tests.length).toBeGreaterThan(0);
  });

  it('include the four the engine promises', () => {
    expect(labs).toEqual(expect.arrayContaining(['two-node.yaml', 'host-gw.yaml', 'same-node.yaml', 'pod-containers.yaml']));
  });
});

describe('the docs', () => {
  it('show a lab file that validates (docs/lab-file.md)', async () => {
    const { loadLabText } = await import('../../src/lab/index.js');
    const page = readFileSync('docs/lab-file.md', 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(page)![1]!;
    const result = loadLabText('docs/lab-file.md', yaml);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('keep the README a front door: at most 250 lines, every docs page linked from it, every relative link resolving', async () => {
    const { existsSync, readdirSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    const readme = readFileSync('README.md', 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    for (const page of readdirSync('docs').filter((f) => f.endsWith('.md'))) expect(readme, page).toContain(`](docs/${page})`);
    for (const file of [
      'README.md',
      ...readdirSync('docs')
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ]) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)#:\s]+)(#[^)]*)?\)/g)) {
        expect(existsSync(join(dirname(file), target!)), `${file} links to ${target}`).toBe(true);
      }
    }
  });
});

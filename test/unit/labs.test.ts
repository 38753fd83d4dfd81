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

describe('the README', () => {
  it('shows a lab file that validates', async () => {
    const { loadLabText } = await import('../../src/lab/index.js');
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## The lab file'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const result = loadLabText('README.md', yaml);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

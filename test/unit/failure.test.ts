import { describe, expect, it } from 'vitest';
import { describeOutcome, failedBatchLine, kernelReason, missingFeature } from '../../src/kernel/failure.js';
import { diffNetworks } from '../../src/lab/diff.js';
import { labNameProblem } from '../../src/lab/names.js';
import { quote } from '../../src/plan/shell.js';
import { labOf } from '../helpers/labs.js';

describe('failure messages', () => {
  it('finds the failing line of an ip batch and the kernel reason', () => {
    const stderr = 'RTNETLINK answers: File exists\nCommand failed -:3\n';
    expect(failedBatchLine(stderr)).toBe(3);
    expect(kernelReason(stderr)).toBe('RTNETLINK answers: File exists');
    expect(failedBatchLine('something else')).toBeUndefined();
  });

  it('describes a command like execa does: command, exit, stderr', () => {
    expect(describeOutcome({ command: ['ip', '-n', 'x', 'link'], exitCode: 1, signal: undefined, stderr: 'Cannot open network namespace "x"\n' })).toBe(
      'ip -n x link (exit 1): Cannot open network namespace "x"',
    );
    expect(describeOutcome({ command: ['sleep'], exitCode: undefined, signal: 'SIGKILL', stderr: '' })).toBe('sleep (killed by SIGKILL)');
  });

  it('tells a missing kernel feature from a refused operation', () => {
    expect(missingFeature('Error: Unknown device type.')).toMatch(/modprobe vxlan/);
    expect(missingFeature('RTNETLINK answers: File exists')).toBeUndefined();
  });

  it('quotes shell words only where needed', () => {
    expect(quote(['ip', '-n', 'netlab.a.node.n1', 'route', 'add', '10.0.0.0/24'])).toBe('ip -n netlab.a.node.n1 route add 10.0.0.0/24');
    expect(quote(["it's", 'a b'])).toBe(`'it'\\''s' 'a b'`);
  });
});

describe('lab names from the command line', () => {
  it('refuses names that could escape or collide', () => {
    for (const bad of ['../x', 'a/b', '.', '', 'UPPER', 'nœud', 'x'.repeat(33), '-lead', 'trail-', 'a.b']) {
      expect(labNameProblem(bad), bad).toBeDefined();
    }
    expect(labNameProblem('two-node')).toBeUndefined();
  });
});

describe('network differences', () => {
  it('ignores tests and description, names what changed', () => {
    const a = labOf({ name: 'd', nodes: [{ name: 'n1' }], pods: [{ name: 'p' }] });
    const b = labOf({ name: 'd', description: 'other', nodes: [{ name: 'n1' }], pods: [{ name: 'p' }], tests: [{ ping: { from: 'p', to: 'n1' } }] });
    expect(diffNetworks(a, b)).toEqual([]);
    const c = labOf({ name: 'd', nodes: [{ name: 'n1' }], pods: [{ name: 'p', ip: '10.244.0.9' }] });
    expect(diffNetworks(a, c)).toEqual(['pods[0].ip: 10.244.0.2 → 10.244.0.9']);
  });
});

describe('paths in messages', () => {
  it('quote keys that are not plain words (found by the property tests)', async () => {
    const { formatPath } = await import('../../src/lab/path.js');
    expect(formatPath(['pods', 1, 'node'])).toBe('pods[1].node');
    expect(formatPath([' '])).toBe('[" "]');
    expect(formatPath(['nodes', 0, 'a.b'])).toBe('nodes[0]["a.b"]');
  });
});

import { describe, expect, it } from 'vitest';
import { parseCLI } from '../../src/cli/parse.js';
import { UsageError } from '../../src/errors.js';

describe('parseCLI', () => {
  it('parses every command', () => {
    expect(parseCLI(['validate', 'a.yaml'])).toEqual({ command: 'validate', file: 'a.yaml' });
    expect(parseCLI(['plan', 'a.yaml', '--json'])).toEqual({ command: 'plan', file: 'a.yaml', json: true });
    expect(parseCLI(['up', 'a.yaml'])).toEqual({ command: 'up', file: 'a.yaml', recreate: false });
    expect(parseCLI(['up', '--recreate', 'a.yaml'])).toEqual({ command: 'up', file: 'a.yaml', recreate: true });
    expect(parseCLI(['down', 'two-node'])).toEqual({ command: 'down', target: 'two-node' });
    expect(parseCLI(['status'])).toEqual({ command: 'status', lab: undefined, json: false });
    expect(parseCLI(['status', 'x', '--json'])).toEqual({ command: 'status', lab: 'x', json: true });
    expect(parseCLI(['clean'])).toEqual({ command: 'clean' });
  });

  it('hands everything after -- to exec untouched, options included', () => {
    expect(parseCLI(['exec', 'lab', 'pod1', '--', 'ping', '-c', '1', '10.244.0.3'])).toEqual({
      command: 'exec',
      lab: 'lab',
      target: 'pod1',
      argv: ['ping', '-c', '1', '10.244.0.3'],
    });
    expect(parseCLI(['exec', 'lab', 'node1', '--', 'ip', '-j', 'route'])).toMatchObject({ argv: ['ip', '-j', 'route'] });
  });

  it('refuses wrong usage with exit 2', () => {
    for (const argv of [['frobnicate'], ['up'], ['validate', 'a', 'b'], ['up', '--force', 'x.yaml'], ['exec', 'lab', 'pod1', '--']]) {
      expect(() => parseCLI(argv), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('suggests the command meant', () => {
    expect(() => parseCLI(['stauts'])).toThrow(/Did you mean status/);
  });

  it('answers --help and --version without running anything', () => {
    expect(parseCLI(['--help'])).toMatchObject({ command: 'help', text: expect.stringContaining('validate') });
    expect(parseCLI(['--version'])).toMatchObject({ command: 'help', text: expect.stringMatching(/\d+\.\d+\.\d+/) });
  });
});

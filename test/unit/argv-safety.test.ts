import { describe, expect, it } from 'vitest';
import { captureArgs } from '../../src/kernel/capture.js';
import { pingArgs } from '../../src/kernel/ping.js';
import { heredocEnd, planToShell } from '../../src/plan/shell.js';

/*
 * A lab file is untrusted input. Every value of it that reaches a program's
 * argument list must be unable to become an option of that program; these
 * pin each place down.
 */
describe('values from a lab file never become options', () => {
  it('a capture filter reaches tcpdump after --', () => {
    const args = captureArgs('netlab.x.node.node1', 'cni0', '-w/tmp/victim');
    expect(args.slice(-2)).toEqual(['--', '-w/tmp/victim']);
    expect(args.indexOf('-w/tmp/victim')).toBe(args.indexOf('--') + 1);
  });

  it('no filter, no expression at all', () => {
    expect(captureArgs('n', 'eth0', '')).not.toContain('--');
  });

  it('a ping target reaches ping after --', () => {
    const args = pingArgs('netlab.x.pod.a', '-c9999', { count: 1, deadline: 2 });
    expect(args.slice(-2)).toEqual(['--', '-c9999']);
  });

  it('a file in the plan script cannot end its here-document early', () => {
    expect(heredocEnd('a\nNETLAB_EOF\nb')).toBe('NETLAB_EOF_');
    const script = planToShell(
      {
        lab: 'x',
        stages: [
          {
            name: 'containers',
            title: 'Start containers',
            barrier: true,
            ops: [{ kind: 'file.write', path: '/run/netlab/x/c.json', content: 'NETLAB_EOF\nrm -rf /\n' }],
          },
        ],
      },
      { agentPath: '/a.py', speakerPath: '/s.py', python: 'python3' },
    );
    expect(script).toContain("<<'NETLAB_EOF_'\nNETLAB_EOF\nrm -rf /\nNETLAB_EOF_");
  });
});

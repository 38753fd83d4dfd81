import { describe, expect, it } from 'vitest';
import { parseCLI } from '../../src/cli/parse.js';
import { UsageError } from '../../src/errors.js';
import { runBirdc } from '../../src/kernel/bird.js';
import { birdcCommandProblem } from '../../src/lab/birdc-command.js';

/*
 * `netlab bgp` once passed any word to birdc as root: `-s OTHER.ctl` reached
 * a BIRD that was not the lab's, and `configure "/tmp/x.conf"` made the lab's
 * BIRD load a file that logs anywhere. Each row is such an attempt.
 */
const HOSTILE: string[][] = [
  ['-s', '/run/other.ctl', 'show', 'status'],
  ['show', 'status', '-s', '/run/other.ctl'],
  ['--', '-s', 'OTHER.ctl', 'down'],
  ['-r'],
  ['configure', '"/tmp/x.conf"'],
  ['configure'],
  ['configure', 'soft'],
  ['down'],
  ['dump', 'resources'],
  ['debug', 'all', 'all'],
  ['eval', '1'],
  ['reload', 'all'],
  ['graceful', 'restart'],
  ['d'],
  ['con', '"/tmp/x.conf"'],
  ['show', 'route\nconfigure "/tmp/x.conf"'],
  ['show', 'route', '"/tmp/x"'],
  ['show', 'route;', 'down'],
  ['disable', 'a', 'b'],
  ['disable'],
  ['disable', '"x" ; down'],
  ['enable', '"/etc/passwd"'],
  ['restart', 'Mesh-1'],
  [],
];

describe('birdc commands netlab bgp passes', () => {
  it.each(HOSTILE.map((w) => [JSON.stringify(w), w] as const))('refuses %s', (_, words) => {
    expect(birdcCommandProblem(words)).toMatch(/allowed: show/);
  });

  it.each([
    [['show', 'protocols']],
    [['show', 'protocols', 'all', 'Mesh_192_168_19_2']],
    [['show', 'route']],
    [['show', 'route', 'for', '10.244.0.64']],
    [['show', 'route', 'protocol', 'kernel1']],
    [['show', 'status']],
    [['disable', 'Mesh_192_168_19_1']],
    [['disable', '"Mesh_*"']],
    [['enable', 'all']],
    [['restart', 'Mesh_192_168_19_1']],
  ])('allows %j', (words) => {
    expect(birdcCommandProblem(words)).toBeUndefined();
  });

  it('the CLI refuses them with exit 2 before anything is read', () => {
    for (const words of HOSTILE.filter((w) => w.length > 0)) {
      expect(() => parseCLI(['bgp', 'calico', 'node1', ...words]), JSON.stringify(words)).toThrow(UsageError);
      expect(() => parseCLI(['bgp', 'calico', 'node1', '--', ...words]), JSON.stringify(words)).toThrow(UsageError);
    }
    expect(() => parseCLI(['bgp', 'calico', 'node1', 'configure', '"/tmp/x.conf"'])).toThrow(/"configure" is not allowed/);
  });

  it('the runner refuses them too, whoever calls it (birdc never starts)', () => {
    for (const words of HOSTILE) expect(() => runBirdc('/nonexistent/bird.ctl', words), JSON.stringify(words)).toThrow(UsageError);
  });
});

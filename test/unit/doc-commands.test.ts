import { describe, expect, it } from 'vitest';
import { parseCLI } from '../../src/cli/parse.js';
import { DOC_PAGES, docCommands, words } from '../helpers/doc-commands.js';

/*
 * Every command the pages show is one netlab takes: each parses. Running
 * them, as root, is test/integration/doc-commands.test.ts.
 */
describe('the commands of README.md and docs/', () => {
  const all = DOC_PAGES.flatMap((page) => docCommands(page));

  it('are found where the pages show them', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((c) => c.page === 'README.md').map((c) => c.command)).toContain('netlab up labs/two-node.yaml');
    expect(all.some((c) => c.page === 'docs/trace.md' && c.command === 'netlab trace two-node pod1 pod4 --verify')).toBe(true);
  });

  it.each(all.map((c) => [`${c.page}:${c.line}`, c.command]))('%s `%s` is a command netlab takes', (_, command) => {
    const argv = words(command).slice(1);
    // The redirection is the shell's.
    const at = argv.indexOf('>');
    expect(() => parseCLI(at >= 0 ? argv.slice(0, at) : argv)).not.toThrow();
  });

  it('the extraction drops prompts, npx and comments, and keeps a console block’s output', () => {
    const page = '```\n$ npx netlab status two-node   # what is up\nlab two-node: up\n```\n```sh\nnpx netlab down two-node\n```\n';
    expect(docCommands('x.md', page)).toEqual([
      { page: 'x.md', line: 2, command: 'netlab status two-node', shown: ['lab two-node: up'] },
      { page: 'x.md', line: 6, command: 'netlab down two-node', shown: [] },
    ]);
  });
});

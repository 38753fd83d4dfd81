import { afterAll, describe, expect, it } from 'vitest';
import { docCommands, type DocCommand } from '../helpers/doc-commands.js';
import { ExerciseShell, matches } from '../helpers/exercises.js';
import { isRoot } from '../helpers/kernel.js';

/*
 * The commands README.md and docs/ show, run in page order as a reader
 * would type them (on copies of the labs, `it-doc-…`, in a scratch
 * directory): each must exit as the page says, and where the page shows
 * output, print it. Not run here: docs/ci.md's (ci-doc.test.ts runs them,
 * output and all), and `netlab clean`, which removes every lab on the
 * machine, other tests' included (interrupt.test.ts runs it when it may).
 */

/** What a command must exit with, where the page says it fails (0 everywhere else). */
const EXITS: Record<string, number> = {
  // After the page deletes flannel.1's FDB entries: "it exits 1 when the packet does not arrive".
  'docs/trace.md netlab trace two-node pod1 pod4 --verify': 1,
  // "A bad lab file looks like this": exit 2, the errors shown.
  'README.md netlab validate test/fixtures/broken/pod-ips.yaml': 2,
};

/** Captures wait for packets: what makes them while one runs. */
const TRAFFIC = 'netlab exec two-node pod1 -- ping -c 5 -i 0.2 10.244.1.3';

async function runCapture(shell: ExerciseShell, c: DocCommand): Promise<{ code: number | undefined; lines: string[] }> {
  const capture = shell.start(c.command);
  // tcpdump says it listens once its socket is open: traffic sent after is seen.
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) {
        capture.all?.off('data', onData);
        resolve();
      }
    };
    capture.all?.on('data', onData);
    void capture.then(() => resolve());
  });
  await shell.execute(TRAFFIC);
  const r = await capture;
  return { code: r.exitCode, lines: String(r.all ?? '').split('\n') };
}

describe.skipIf(!isRoot)('the commands the pages show', () => {
  for (const page of ['README.md', 'docs/trace.md']) {
    describe(page, () => {
      const shell = new ExerciseShell({ inScratch: true });
      afterAll(async () => {
        await shell.cleanUp();
      });

      it('each runs, exits as the page says, and prints what the page shows', async () => {
        const commands = docCommands(page).filter((c) => c.command !== 'netlab clean');
        expect(commands.length).toBeGreaterThan(0);
        // A page's command that reads a running lab assumes it is up (the reader brought it up as the README says).
        let up = false;
        for (const c of commands) {
          if (!up && /^netlab (trace|status|exec|capture) two-node /.test(c.command)) {
            expect((await shell.execute('netlab up labs/two-node.yaml')).code).toBe(0);
            up = true;
          }
          if (c.command.startsWith('netlab up labs/two-node.yaml')) up = true;
          if (c.command === 'netlab down two-node') up = false;
          const r = c.command.startsWith('netlab capture ') ? await runCapture(shell, c) : await shell.execute(c.command);
          const where = `${page}:${c.line}: \`${c.command}\``;
          expect(r.code, `${where} exited ${r.code}:\n${r.lines.join('\n')}`).toBe(EXITS[`${page} ${c.command}`] ?? 0);
          const m = matches(c.shown, r.lines);
          expect(m.ok, `${where} printed:\n${r.lines.join('\n')}\nbut the page shows: ${m.missing}`).toBe(true);
        }
      });
    });
  }
});

import { Listr, PRESET_TIMER } from 'listr2';
import type { Progress } from '../lifecycle/progress.js';

/** True where a person watches a terminal; CI and pipes get plain lines. */
export function interactive(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.CI;
}

/** listr2's live view on a terminal, its plain renderer otherwise. */
export function listrProgress(): Progress {
  return {
    async run(steps) {
      const list = new Listr(
        steps.map((s) => ({ title: s.title, task: () => s.run() })),
        {
          renderer: interactive() ? 'default' : 'simple',
          rendererOptions: { timer: PRESET_TIMER },
          exitOnError: true,
          // netlab handles SIGINT itself, to roll back.
          registerSignalListeners: false,
        },
      );
      await list.run();
    },
  };
}

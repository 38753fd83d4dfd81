import { Listr } from 'listr2';
import type { Check, TestResult } from '../checks/types.js';
import { formatResult } from '../checks/report/text.js';

/** Shows test results as they arrive. */
export interface TestView {
  start(checks: Check[]): void;
  result(index: number, result: TestResult): void;
  /** Resolves once the view has shown everything. */
  finish(): Promise<void>;
}

/**
 * Plain lines for CI and pipes: each explicit test in the order of the lab
 * file, as soon as it and those before it have ended (tests run at once, and
 * a log, or a workshop page, must read the same every time); a conformance
 * case only when it fails, as it ends.
 */
export function plainView(write: (s: string) => void): TestView {
  let explicit: number[] = [];
  let next = 0;
  const ended = new Map<number, TestResult>();
  return {
    start(checks) {
      const cases = checks.filter((c) => c.kind === 'conformance').length;
      explicit = checks.flatMap((c, i) => (c.kind === 'conformance' ? [] : [i]));
      write(`running ${checks.length - cases} tests${cases ? ` and ${cases} conformance cases` : ''}\n`);
    },
    result(index, r) {
      if (r.kind === 'conformance') {
        if (r.status === 'failed') write(`${formatResult(r)}\n`);
        return;
      }
      ended.set(index, r);
      for (; next < explicit.length && ended.has(explicit[next]!); next++) write(`${formatResult(ended.get(explicit[next]!)!)}\n`);
    },
    finish: async () => undefined,
  };
}

/** listr2's live view on a terminal: a task per test, one for all of conformance. */
export function liveView(): TestView {
  const waiting = new Map<number, (r: TestResult) => void>();
  let conformance: { total: number; done: number; failed: number; settle?: () => void; update?: (t: string) => void } | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const early = new Map<number, TestResult>();
  return {
    start(checks) {
      const total = checks.filter((c) => c.kind === 'conformance').length;
      const tasks = checks.flatMap((c, i) =>
        c.kind === 'conformance'
          ? []
          : [
              {
                title: c.name,
                task: async (_: unknown, task: { title: string }) => {
                  const r = early.get(i) ?? (await new Promise<TestResult>((resolve) => waiting.set(i, resolve)));
                  task.title = `${c.name}: ${r.message}`;
                  if (r.status === 'failed') throw new Error(formatResult(r).split('\n').slice(1).join('\n'));
                },
              },
            ],
      );
      if (total > 0) {
        conformance = { total, done: 0, failed: 0 };
        const state = conformance;
        tasks.push({
          title: `conformance: 0/${total} cases`,
          task: async (_: unknown, task: { title: string }) => {
            state.update = (t) => (task.title = t);
            if (state.done < state.total) await new Promise<void>((resolve) => (state.settle = resolve));
            if (state.failed > 0) throw new Error(`${state.failed} of ${state.total} conformance cases failed (details below)`);
          },
        });
      }
      const list = new Listr(tasks, { concurrent: true, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseErrors: false } });
      running = list.run().catch(() => undefined);
    },
    result(index, r) {
      if (r.kind === 'conformance' && conformance) {
        const c = conformance;
        c.done++;
        if (r.status === 'failed') c.failed++;
        c.update?.(`conformance: ${c.done}/${c.total} cases${c.failed ? `, ${c.failed} failed` : ''}`);
        if (c.done === c.total) c.settle?.();
        return;
      }
      const resolve = waiting.get(index);
      if (resolve) resolve(r);
      else early.set(index, r);
    },
    finish: () => running.then(() => undefined),
  };
}

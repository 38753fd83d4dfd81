/** A step of a long command, shown as it runs (listr2 on a terminal, lines in CI). */
export interface Step {
  title: string;
  run: () => Promise<void>;
}

export interface Progress {
  run(steps: Step[]): Promise<void>;
}

/** No output at all: for tests and for callers that report on their own. */
export const silentProgress: Progress = {
  async run(steps) {
    for (const step of steps) await step.run();
  },
};

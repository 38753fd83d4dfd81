import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDir } from './paths.js';

/**
 * A running `netlab test`'s results as JSON lines in the lab's state
 * directory, one per event, so `netlab ui` can follow a run it did not start.
 * The file is the newest run's: a run empties it when it starts; runs side
 * by side interleave their lines, each carrying its run's id. Removed with
 * the state directory by `down` and `clean`.
 */
export function testEventsFile(lab: string): string {
  return join(labDir(lab), 'tests.jsonl');
}

export type TestEvent =
  | { run: string; event: 'start'; at: string; tests: Array<{ name: string; kind: string }> }
  | { run: string; event: 'result'; index: number; name: string; kind: string; status: 'passed' | 'failed'; message: string; durationMs: number }
  | { run: string; event: 'end'; passed: number; failed: number; seconds: number };

export interface TestEventLog {
  write(event: TestEvent): void;
}

/** A log for one run: its first line replaces the file. A lab whose directory went away is not written to (its run fails on its own). */
export function openTestEvents(lab: string): TestEventLog {
  const file = testEventsFile(lab);
  let first = true;
  return {
    write(event) {
      const line = `${JSON.stringify(event)}\n`;
      try {
        if (first) writeFileSync(file, line, { mode: 0o600 });
        else appendFileSync(file, line);
        first = false;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    },
  };
}

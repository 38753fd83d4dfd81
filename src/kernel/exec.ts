import { runAttached } from './run.js';

/** Runs a user's command inside a namespace with the terminal attached; returns its exit code. */
export function execInNetns(netns: string, argv: string[]): Promise<number> {
  return runAttached('ip', ['netns', 'exec', netns, ...argv]);
}

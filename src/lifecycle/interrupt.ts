import { NetlabError } from '../errors.js';

/** The user (or a supervisor) asked us to stop; exit 128 + signal number, like a shell. */
export class InterruptedError extends NetlabError {
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}: the lab was rolled back`, signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143);
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Turns SIGINT/SIGTERM/SIGHUP into a flag checked between stages, so a
 * signal leads to a rollback instead of a half-built lab.
 */
export function watchInterrupts(): { received: () => NodeJS.Signals | undefined; dispose: () => void } {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    received ??= signal;
  };
  SIGNALS.forEach((s) => process.on(s, handler));
  return {
    received: () => received,
    dispose: () => SIGNALS.forEach((s) => process.off(s, handler)),
  };
}

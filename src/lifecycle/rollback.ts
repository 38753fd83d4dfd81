import { ExitCode, NetlabError } from '../errors.js';

/**
 * `up` failed, and undoing what it had made failed too: both are said, the
 * first one's exit code kept, so nobody believes the machine is clean.
 */
export class RollbackError extends NetlabError {
  constructor(failure: unknown, undo: unknown, lab: string) {
    const first = failure instanceof Error ? failure.message : String(failure);
    const second = undo instanceof Error ? undo.message : String(undo);
    super(
      `${first}\nand the rollback failed too, so parts of lab "${lab}" remain: ${second}\nrun \`netlab down ${lab}\` to remove them`,
      failure instanceof NetlabError ? failure.exitCode : ExitCode.kernel,
    );
  }
}

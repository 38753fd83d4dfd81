import { clip, printable } from './printable.js';

/**
 * Expected failures carry the exit code the command line contract gives them
 * (README.md, "Exit codes"). Anything else that escapes is a bug.
 */
export const ExitCode = {
  ok: 0,
  testFailed: 1,
  usage: 2,
  environment: 3,
  kernel: 4,
  /** Another netlab is using the lab, and did not finish within the wait. */
  busy: 5,
  /** A bug in netlab: never an expected failure. */
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a failure we expected and can explain without a stack trace. */
export class NetlabError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode | number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The lab file or the command line is wrong (exit 2). */
export class UsageError extends NetlabError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** The machine lacks something netlab needs (exit 3). */
export class EnvironmentError extends NetlabError {
  constructor(message: string) {
    super(message, ExitCode.environment);
  }
}

/** The kernel refused an operation (exit 4). */
export class KernelError extends NetlabError {
  constructor(message: string) {
    super(message, ExitCode.kernel);
  }
}

/** A position in a lab file, 1-based like every editor. */
export interface SourcePosition {
  line: number;
  col: number;
}

/** One problem with a lab file: where, which key, what is wrong, what would be right. */
export interface LabProblem {
  file: string;
  position: SourcePosition;
  /** Dotted path such as `pods[1].node`; empty for the document itself. */
  path: string;
  message: string;
  hint?: string;
}

/** Problems printed for one file: past that, a count. */
export const MAX_PROBLEMS_SHOWN = 50;
/** Characters one problem line may take on the terminal. */
export const MAX_PROBLEM_CHARS = 400;

/** One line per problem, FILE:LINE:COL first; escaped and clipped, since a lab file may be hostile. */
export function formatProblem(p: LabProblem): string {
  const where = `${p.file}:${p.position.line}:${p.position.col}`;
  const what = p.path ? `${p.path}: ${p.message}` : p.message;
  return clip(printable(p.hint ? `${where}: ${what} (${p.hint})` : `${where}: ${what}`, false), MAX_PROBLEM_CHARS);
}

/** All problems of a lab file at once (exit 2); a flood of them is cut to a count. */
export class LabFileError extends UsageError {
  constructor(readonly problems: LabProblem[]) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map(formatProblem);
    if (problems.length > MAX_PROBLEMS_SHOWN) shown.push(`… and ${problems.length - MAX_PROBLEMS_SHOWN} more problems`);
    super(shown.join('\n'));
  }
}

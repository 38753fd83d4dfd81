import { ExitCode, LabFileError, NetlabError } from '../errors.js';
import { printable } from '../printable.js';
import { parseCLI, type Invocation } from './parse.js';

/**
 * The entry point: parse, run one command (imported lazily, so `netlab
 * validate` never loads listr2 or the modules that run programs), and turn
 * what escaped into an exit code. Expected failures print their message; anything else is a bug.
 */
export async function main(argv: string[]): Promise<number> {
  ignoreClosedPipes();
  try {
    const invocation = parseCLI(argv);
    return await dispatch(invocation);
  } catch (e) {
    if (e instanceof LabFileError) {
      // One problem a line, FILE:LINE:COL first, the way compilers and editors expect.
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof NetlabError) {
      process.stderr.write(`netlab: ${printable(e.message)}\n`);
      return e.exitCode;
    }
    if (isSystemError(e)) {
      // The machine said no (a full disk, a permission, a file in the way): not a bug, and one line says it all.
      process.stderr.write(`netlab: ${printable(e.message)}\n`);
      return ExitCode.kernel;
    }
    process.stderr.write(`netlab: internal error: this is a bug, please report it with the command you ran.\n${(e as Error)?.stack ?? String(e)}\n`);
    return ExitCode.internal;
  }
}

async function dispatch(inv: Invocation): Promise<number> {
  switch (inv.command) {
    case 'help':
      process.stdout.write(inv.text);
      return ExitCode.ok;
    case 'validate':
      return (await import('./commands/validate.js')).validate(inv);
    case 'plan':
      return (await import('./commands/plan.js')).plan(inv);
    case 'up':
      return (await import('./commands/up.js')).up(inv);
    case 'down':
      return (await import('./commands/down.js')).down(inv);
    case 'status':
      return (await import('./commands/status.js')).status(inv);
    case 'merge-junit':
      return (await import('./commands/merge-junit.js')).mergeJunitFiles(inv);
    case 'bgp':
      return (await import('./commands/bgp.js')).bgp(inv);
    case 'node':
      return (await import('./commands/node.js')).node(inv);
    case 'exec':
      return (await import('./commands/exec.js')).exec(inv);
    case 'test':
      return (await import('./commands/test.js')).test(inv);
    case 'trace':
      return (await import('./commands/trace.js')).trace(inv);
    case 'graph':
      return (await import('./commands/graph.js')).graph(inv);
    case 'capture':
      return (await import('./commands/capture.js')).capture(inv);
    case 'ui':
      return (await import('./commands/ui.js')).ui(inv);
    case 'clean':
      return (await import('./commands/clean.js')).clean();
  }
}

/** An error from a system call (it names the call and the errno), which a user can meet and read. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string' && typeof (e as NodeJS.ErrnoException).code === 'string';
}

/**
 * `netlab status | head` closes the pipe early. That must not kill netlab,
 * least of all half-way through `up`: output to a reader that left is
 * dropped, and the command finishes its work.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
  }
}

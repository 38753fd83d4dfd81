import { execa } from 'execa';

/** Runs a user's command inside a namespace with the terminal attached; returns its exit code. */
export async function execInNetns(netns: string, argv: string[]): Promise<number> {
  const r = await execa('ip', ['netns', 'exec', netns, ...argv], { stdio: 'inherit', reject: false });
  if (r.failed && r.exitCode === undefined && !r.signal) {
    process.stderr.write(`netlab: could not run ${argv[0]}: ${r.shortMessage ?? r.message}\n`);
    return 127;
  }
  return r.exitCode ?? (r.signal ? 128 : 1);
}

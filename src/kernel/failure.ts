/**
 * Pure formatters for failed commands, in the shape execa's shortMessage
 * uses: what ran, how it ended, what it said.
 */
export interface CommandOutcome {
  command: string[];
  exitCode: number | undefined;
  signal: string | undefined;
  stderr: string;
}

export function describeOutcome(o: CommandOutcome): string {
  const how = o.signal ? `killed by ${o.signal}` : `exit ${o.exitCode ?? '?'}`;
  const said = o.stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ');
  return `${o.command.join(' ')} (${how})${said ? `: ${said}` : ''}`;
}

/**
 * `ip -batch` stops at the first failing line and says `Command failed -:N`.
 * Returns N (1-based), or undefined when the batch did not say.
 */
export function failedBatchLine(stderr: string): number | undefined {
  const m = /Command failed -:(\d+)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/** The kernel's own words, without iproute2's batch bookkeeping. */
export function kernelReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Command failed -:\d+$/.test(l));
  return lines.join('; ') || 'no message';
}

/** Errors that mean the kernel lacks a feature, not that the lab is wrong. */
export function missingFeature(stderr: string): string | undefined {
  if (/Unknown device type/i.test(stderr)) return 'the kernel has no driver for this device type (try: modprobe vxlan; modprobe veth; modprobe bridge)';
  return undefined;
}

import { quote } from '../plan/shell.js';
import { run } from './run.js';

/** One DNS answer: its type and data as dig prints them (`A 10.96.1.1`, `SRV 0 100 80 web.default.svc.cluster.local.`). */
export interface DnsAnswer {
  type: string;
  data: string;
}

export interface DigOutcome {
  command: string;
  /** The reply's RCODE (NOERROR, NXDOMAIN, REFUSED, …), or undefined when nothing answered. */
  status: string | undefined;
  answers: DnsAnswer[];
  output: string[];
}

/**
 * A query from inside a pod through its own resolv.conf, as a program there
 * would make it: `dig +search` applies the search list and ndots. The name
 * comes from a lab file and reaches dig only after -q (or -x), so it can
 * never be read as an option.
 */
export async function dig(netns: string, name: string, type: string): Promise<DigOutcome> {
  const query = type === 'PTR' ? ['-x', name] : ['-t', type, '-q', name];
  const args = ['netns', 'exec', netns, 'dig', '+search', '+tries=2', '+time=2', ...query];
  const r = await run('ip', args);
  const output = `${r.stdout}${r.stderr}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  const status = /status: ([A-Z]+)/.exec(r.stdout)?.[1];
  const answers: DnsAnswer[] = [];
  let inAnswer = false;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION')) inAnswer = true;
    else if (line.startsWith(';;') || !line.trim()) inAnswer = inAnswer && !line.startsWith(';;');
    else if (inAnswer) {
      const f = line.split(/\s+/);
      if (f.length >= 5) answers.push({ type: f[3]!, data: f.slice(4).join(' ') });
    }
  }
  return { command: quote(['ip', ...args]), status, answers, output };
}

/**
 * A name resolved inside a namespace the way most programs do it: glibc's
 * resolver (`getent ahostsv4`), through the namespace's resolv.conf. The IPv4
 * addresses, or the reason there are none. The name comes after `--`.
 */
export async function resolveName(netns: string, name: string): Promise<{ addresses: string[]; command: string; error?: string }> {
  const args = ['netns', 'exec', netns, 'getent', 'ahostsv4', '--', name];
  const r = await run('ip', args);
  const addresses = [
    ...new Set(
      r.stdout
        .split('\n')
        .map((l) => l.split(/\s+/)[0]!)
        .filter((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a)),
    ),
  ];
  const command = quote(['ip', ...args]);
  return addresses.length > 0
    ? { addresses, command }
    : { addresses, command, error: r.exitCode === 2 ? `${name} does not resolve` : `getent exited ${r.exitCode}` };
}

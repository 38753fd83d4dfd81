import { execa } from 'execa';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A command of an exercise and the lines it shows below it. */
export interface Example {
  command: string;
  expected: string[];
  /** 1-based line of the command in the Markdown file. */
  line: number;
}

/** Every ```console block is an example: `$ command` lines, each followed by what it prints. */
export function examplesOf(markdown: string): Example[] {
  const out: Example[] = [];
  const lines = markdown.split('\n');
  let inside = false;
  for (const [i, line] of lines.entries()) {
    if (line.startsWith('```')) {
      inside = !inside && line.trim() === '```console';
      continue;
    }
    if (!inside) continue;
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), expected: [], line: i + 1 });
    else if (out.length > 0) out[out.length - 1]!.expected.push(line);
  }
  for (const e of out) while (e.expected.length && !e.expected.at(-1)!.trim()) e.expected.pop();
  return out;
}

/** What varies from run to run (and with the lab's name) is masked; everything else must match. */
export function normalise(line: string): string {
  return (
    line
      .replace(/it-doc-/g, '')
      .replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, '<mac>')
      .replace(/\bveth[0-9a-f]{8}\b/g, 'veth<hash>')
      // A veth peer's index in another namespace follows the order the apply helpers made the pairs in, which
      // parallel waves do not fix (node3's eth0 was @if5 in one run, @if4 in the next); the pairing itself is
      // checked by the integration tests, by index, from ip -j.
      .replace(/@if\d+\b/g, '@if<n>')
      .replace(/\b\d{2}:\d{2}:\d{2}\.\d{6}\b/g, '<time>')
      // BIRD's times (`19:39:06`, `19:39:06.995`).
      .replace(/\b\d{2}:\d{2}:\d{2}(\.\d{3})?\b/g, '<time>')
      .replace(/time[= ]\d+(\.\d+)? ?ms/g, 'time=<t>ms')
      .replace(/rtt min\/avg\/max\/mdev = .*/, 'rtt <masked>')
      .replace(/\b(\d{1,3}\.){3}\d{1,3}:\d{4,5}\b/g, (m) => `${m.slice(0, m.lastIndexOf(':'))}:<port>`)
      .replace(/\.\d{4,5} > /g, '.<port> > ')
      .replace(/\bid \d+\b/g, 'id <n>')
      .replace(/\b\d+(\.\d+)? (ms|s)\b/g, '<t> $2')
      .replace(/\(\d+(\.\d+)?s\)/g, '(<t>s)')
      .replace(/from \/\S+\.yaml/g, 'from <file>')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** True when the expected lines appear in the output in order (`…` skips lines). */
export function matches(expected: string[], actual: string[]): { ok: boolean; missing?: string } {
  const got = actual.map(normalise);
  let at = 0;
  for (const want of expected.map(normalise)) {
    if (want === '…' || want === '...' || want === '') continue;
    const found = got.indexOf(want, at);
    if (found < 0) return { ok: false, missing: want };
    at = found + 1;
  }
  return { ok: true };
}

const LAB_NAMES = readdirSync('labs')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

/**
 * Runs exercise commands as a student would, but on copies of the labs named
 * `it-doc-…`, so a test never touches a lab of the same name someone has up.
 */
export class ExerciseShell {
  readonly dir = mkdtempSync(join(tmpdir(), 'netlab-doc-'));
  readonly used = new Set<string>();

  /** `inScratch`: run the commands in the shell's own directory, so the files they write land there, not in the repository. */
  constructor(private readonly options: { inScratch?: boolean } = {}) {
    writeFileSync(join(this.dir, 'netlab'), `#!/bin/sh\nexec "${process.execPath}" "${resolve('bin/netlab.js')}" "$@"\n`, { mode: 0o755 });
    // Conflists are named relative to their lab file: they come along.
    cpSync('labs/cni', join(this.dir, 'cni'), { recursive: true });
    // A page may name the repository's test fixtures (a broken lab), relative to the clone.
    if (options.inScratch) symlinkSync(resolve('test'), join(this.dir, 'test'));
    for (const name of LAB_NAMES) {
      const text = readFileSync(`labs/${name}.yaml`, 'utf8').replace(/^name: .*$/m, `name: it-doc-${name}`);
      writeFileSync(join(this.dir, `${name}.yaml`), text);
    }
  }

  /** The command with lab files and lab names pointed at the copies. */
  rewrite(command: string): string {
    return command
      .split(' ')
      .map((word) => {
        const file = /^labs\/([a-z0-9-]+)\.yaml$/.exec(word);
        if (file && LAB_NAMES.includes(file[1]!)) {
          this.used.add(file[1]!);
          return join(this.dir, `${file[1]}.yaml`);
        }
        if (LAB_NAMES.includes(word)) {
          this.used.add(word);
          return `it-doc-${word}`;
        }
        return word;
      })
      .join(' ');
  }

  async run(command: string): Promise<string[]> {
    return (await this.execute(command)).lines;
  }

  /** The command run by bash, as a student would type it: its exit code and what it printed (stdout and stderr). */
  async execute(command: string): Promise<{ code: number | undefined; lines: string[] }> {
    const r = await this.start(command);
    return { code: r.exitCode, lines: String(r.all ?? '').split('\n') };
  }

  /** The command started, to be awaited (its output streams on `all`). */
  start(command: string) {
    return execa('bash', ['-c', this.rewrite(command)], {
      ...(this.options.inScratch ? { cwd: this.dir } : {}),
      reject: false,
      all: true,
      timeout: 60_000,
      env: { PATH: `${this.dir}:${process.env.PATH}`, CI: 'true' },
    });
  }

  async cleanUp(): Promise<void> {
    for (const name of this.used) await execa(process.execPath, ['bin/netlab.js', 'down', `it-doc-${name}`], { reject: false });
    // The scratch directory and what the commands wrote there (a link to the repository's files is removed, not followed).
    rmSync(this.dir, { recursive: true, force: true });
  }
}

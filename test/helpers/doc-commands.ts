import { readdirSync, readFileSync } from 'node:fs';

/** A `netlab` command a documentation page shows, and the lines shown after it in its block (its output). */
export interface DocCommand {
  page: string;
  /** 1-based line of the command. */
  line: number;
  /** As a person types it, `npx ` and a `$ ` prompt dropped, a trailing `# comment` cut. */
  command: string;
  /** What the page shows it printing (a console block's lines up to the next command). */
  shown: string[];
}

/** The pages whose commands are run: the README and docs/*.md (the workshop's are run by workshop.test.ts). */
export const DOC_PAGES = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Every `netlab` command in a page's fenced blocks (not YAML or JSON), in page order. */
export function docCommands(page: string, text = readFileSync(page, 'utf8')): DocCommand[] {
  const out: DocCommand[] = [];
  let fence: string | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.startsWith('```')) {
      fence = fence === undefined ? raw.slice(3).trim() : undefined;
      continue;
    }
    if (fence === undefined || fence === 'yaml' || fence === 'json') continue;
    const m = /^(?:\$ )?(?:npx )?(netlab .*?)(?:\s{2,}#.*)?$/.exec(raw);
    if (m) out.push({ page, line: i + 1, command: m[1]!.trim(), shown: [] });
    else if (raw.startsWith('$ ')) continue;
    else if (out.length > 0 && out.at(-1)!.line < i + 1 && fence !== 'sh') out.at(-1)!.shown.push(raw);
  }
  return out;
}

/** The words of a command as a shell would split them (single quotes only: the pages use no other quoting). */
export function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

/** What `npm run lint` says of this code at that path (the file need not exist). */
async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.message);
}

/*
 * The layers are enforced by the linter, not by care: these are the rule's
 * own tests, each a violation it must catch and a use it must allow.
 */
describe('the import rules of docs/architecture.md', () => {
  it('refuses an import from src/plan into src/state', async () => {
    const messages = await lint('src/plan/example.ts', "import { RUN_DIR } from '../state/paths.js';\nexport const x = RUN_DIR;\n");
    expect(messages.join('\n')).toMatch(/src\/plan may import only .*src\/state is not below it/);
  });

  it('refuses src/kernel importing src/trace, and src/lab importing anything above it', async () => {
    expect(await lint('src/kernel/example.ts', "import type { Trace } from '../trace/types.js';\nexport type T = Trace;\n")).toHaveLength(1);
    expect(await lint('src/lab/example.ts', "import type { Plan } from '../plan/ops.js';\nexport type P = Plan;\n")).toHaveLength(1);
  });

  it("refuses lifecycle importing netlab ui's server: the web page sits above it", async () => {
    const messages = await lint('src/lifecycle/example.ts', "import { serveUi } from '../ui/server.js';\nexport const x = serveUi;\n");
    expect(messages.join('\n')).toMatch(/src\/lifecycle may import only .*src\/ui is not below it/);
  });

  it('lets only src/kernel/run.ts spawn programs', async () => {
    const code = "import { spawn } from 'node:child_process';\nexport const s = spawn;\n";
    expect((await lint('src/checks/example.ts', code)).join('\n')).toMatch(/only src\/kernel runs programs/);
    expect((await lint('src/lifecycle/example.ts', code)).join('\n')).toMatch(/only src\/kernel runs programs/);
    expect((await lint('src/kernel/example.ts', code)).join('\n')).toMatch(/through src\/kernel\/run.ts/);
    expect(await lint('src/kernel/run.ts', code)).toEqual([]);
  });

  it('allows every import down the layers', async () => {
    const code = "import type { Lab } from '../lab/types.js';\nimport type { Plan } from '../plan/ops.js';\nexport type X = [Lab, Plan];\n";
    for (const folder of ['kernel', 'checks', 'trace', 'state', 'lifecycle', 'cli']) expect(await lint(`src/${folder}/example.ts`, code), folder).toEqual([]);
  });
});

describe('the CLI is thin', () => {
  it('may import src/lifecycle and the formatters, and types from anywhere', async () => {
    const code =
      "import { labStatuses } from '../../lifecycle/status.js';\nimport { formatTrace } from '../../trace/format.js';\nimport { toJunit } from '../../checks/report/junit.js';\nimport type { Lab } from '../../lab/types.js';\nexport const x = [labStatuses, formatTrace, toJunit];\nexport type L = Lab;\n";
    expect(await lint('src/cli/commands/example.ts', code)).toEqual([]);
  });

  it('refuses state, the kernel, plans and the lab loader in src/cli', async () => {
    for (const [module, name] of [
      ['../../state/store.js', 'readState'],
      ['../../kernel/netns.js', 'listNetns'],
      ['../../plan/index.js', 'planLab'],
      ['../../lab/index.js', 'loadLab'],
      ['../../checks/run.js', 'runChecks'],
      ['../../trace/index.js', 'traceLab'],
    ]) {
      const messages = await lint('src/cli/commands/example.ts', `import { ${name} } from '${module}';\nexport const x = ${name};\n`);
      expect(messages.join('\n'), module).toMatch(/src\/cli imports src\/lifecycle and formatting only/);
    }
  });
});

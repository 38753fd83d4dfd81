// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/*
 * The layers of the pipeline, each allowed to import only the ones below it:
 *
 *   lab ← plan ← kernel ← checks, trace, graph, state ← lifecycle ← ui ← cli
 *
 * src/lab and src/plan are pure; src/kernel is the only folder that runs
 * programs. The top-level modules (errors, printable, pid, runtime-path, memory) are
 * shared by all and import no folder. A new import across a layer fails
 * `npm run lint`, and so `npm test` and CI.
 */
const LAYERS = {
  lab: [],
  plan: ['lab'],
  kernel: ['lab', 'plan'],
  checks: ['lab', 'plan', 'kernel'],
  trace: ['lab', 'plan', 'kernel'],
  graph: ['lab', 'plan'],
  state: ['lab', 'plan', 'kernel'],
  lifecycle: ['lab', 'plan', 'kernel', 'checks', 'trace', 'graph', 'state'],
  // `netlab ui`'s server: it reads through lifecycle, as status and trace do; its picture is pure.
  ui: ['lab', 'plan', 'kernel', 'checks', 'trace', 'graph', 'state', 'lifecycle'],
  cli: ['lab', 'plan', 'kernel', 'checks', 'trace', 'graph', 'state', 'lifecycle', 'ui'],
};

/**
 * The CLI is thin: parse, one lifecycle call, print. It may import
 * src/lifecycle, and the formatters it prints with (src/checks/report,
 * src/trace/format); from anywhere else, types only. State, the kernel and
 * plans are lifecycle's.
 */
const CLI_ONLY = [
  ...['lab', 'plan', 'kernel', 'graph', 'state'].map((f) => ({
    regex: `(^|/)\\.\\./(\\.\\./)*${f}/`,
    allowTypeImports: true,
    message: `src/cli imports src/lifecycle and formatting only: src/${f} is lifecycle's to use. See docs/architecture.md.`,
  })),
  {
    regex: '(^|/)\\.\\./(\\.\\./)*checks/(?!report/)',
    allowTypeImports: true,
    message: 'src/cli imports src/lifecycle and formatting only: of src/checks, its report formatters.',
  },
  {
    regex: '(^|/)\\.\\./(\\.\\./)*trace/(?!format\\.js)',
    allowTypeImports: true,
    message: 'src/cli imports src/lifecycle and formatting only: of src/trace, format.ts.',
  },
];
const FOLDERS = Object.keys(LAYERS);

/** Running programs is the kernel layer's job alone, and within it src/kernel/run.ts's. */
const SPAWNING = [
  { name: 'node:child_process', message: 'only src/kernel runs programs, through src/kernel/run.ts: add a function there' },
  { name: 'child_process', message: 'only src/kernel runs programs, through src/kernel/run.ts: add a function there' },
  { name: 'execa', message: 'netlab has one process layer, src/kernel/run.ts (see bench/spawn.ts for why not execa)' },
];

/** Imports a file in `folder` may not make: every other layer that is not below it. */
function forbiddenFor(folder) {
  const allowed = new Set([folder, ...LAYERS[folder]]);
  const banned = FOLDERS.filter((f) => !allowed.has(f));
  return banned.map((f) => ({
    regex: `(^|/)\\.\\./(\\.\\./)*${f}/`,
    message: `src/${folder} may import only ${[...allowed].map((a) => `src/${a}`).join(', ')} (and the top-level modules): src/${f} is not below it. See docs/architecture.md.`,
  }));
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'src/lab/raw.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  ...FOLDERS.map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    ignores: folder === 'kernel' ? ['src/kernel/run.ts'] : [],
    rules: {
      'no-restricted-imports': ['error', { paths: SPAWNING, patterns: folder === 'cli' ? [...forbiddenFor(folder), ...CLI_ONLY] : forbiddenFor(folder) }],
    },
  })),
  {
    // The page `netlab ui` serves runs in a browser.
    files: ['ui/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    files: ['src/kernel/run.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: forbiddenFor('kernel') }] },
  },
  {
    // The shared top-level modules sit below every layer.
    files: ['src/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: SPAWNING, patterns: [{ regex: '^\\./[a-z-]+/', message: 'top-level modules import no layer' }] }],
    },
  },
);

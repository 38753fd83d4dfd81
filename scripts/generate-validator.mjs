#!/usr/bin/env node
// The lab file's validator, compiled from schemas/lab.schema.json at build
// time into dist/ (ajv's standalone code): compiling the schema when a command
// starts cost every command about 0.1 s. Run by `npm run build` after tsc;
// src/lab/schema.ts compiles the schema itself when this file is absent (tsx,
// the unit tests). The options must be schema.ts's: AJV_OPTIONS.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';

const options = JSON.parse(readFileSync('src/lab/ajv-options.json', 'utf8'));
const schema = JSON.parse(readFileSync('schemas/lab.schema.json', 'utf8'));
const ajv = new Ajv({ ...options, code: { source: true, esm: true } });
const code = (standalone.default ?? standalone)(ajv, ajv.compile(schema));
// ajv's ESM output still require()s its runtime helpers (string length in code points).
const header = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n";
mkdirSync('dist/lab', { recursive: true });
writeFileSync('dist/lab/lab-validator.generated.js', `// Generated from schemas/lab.schema.json by scripts/generate-validator.mjs.\n${header}${code}\n`);

#!/usr/bin/env node
// The lab file's TypeScript types, derived from schemas/lab.schema.json: the
// schema is the one description of the lab's shape, and src/lab/raw.ts names
// what this writes. Run by `npm run build` (and so by `npm ci`); the output is
// not committed.
import { writeFileSync } from 'node:fs';
import { compileFromFile } from 'json-schema-to-typescript';

const ts = await compileFromFile('schemas/lab.schema.json', {
  bannerComment: '/* Generated from schemas/lab.schema.json by scripts/generate-types.mjs: edit the schema, not this. */',
  additionalProperties: false,
  ignoreMinAndMaxItems: true,
  style: { printWidth: 160, singleQuote: true, trailingComma: 'all' },
});
writeFileSync('src/lab/raw.generated.ts', ts);

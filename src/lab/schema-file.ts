import { readFileSync } from 'node:fs';

/** Where the schema lives: shipped beside dist/ and src/ alike. */
export const LAB_SCHEMA_URL = new URL('../../schemas/lab.schema.json', import.meta.url);

interface StringRule {
  maxLength: number;
  pattern: string;
}

/** The parts of the schema netlab's own code reads, so each limit is written once, there. */
export interface LabSchema {
  properties: { name: StringRule };
  definitions: { name: StringRule };
}

let cached: LabSchema | undefined;

/** The lab schema as data (read once; it is small). */
export function labSchema(): LabSchema {
  cached ??= JSON.parse(readFileSync(LAB_SCHEMA_URL, 'utf8')) as LabSchema;
  return cached;
}

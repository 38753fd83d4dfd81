/** A path into the YAML document, as ajv and our rules name a value. */
export type DocPath = ReadonlyArray<string | number>;

/** `['pods', 1, 'node']` → `pods[1].node`, the form error messages use. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    // A key that is not a plain word (" ", "a.b", "") is quoted, so the path stays readable.
    else if (!/^[A-Za-z_][\w-]*$/.test(part)) out += `[${JSON.stringify(part)}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

/** ajv's JSON pointer (`/pods/1/node`) → a DocPath with numeric indexes. */
export function pointerToPath(pointer: string): DocPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

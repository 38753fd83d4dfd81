import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

/** A valid lab as plain data, to mutate. */
export function baseLab(name = 'fuzz'): Record<string, unknown> {
  const lab = parse(readFileSync('labs/two-node.yaml', 'utf8')) as Record<string, unknown>;
  return { ...lab, name };
}

type Path = Array<string | number>;

function paths(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], root);
}

function isMapping(v: unknown): boolean {
  return Boolean(v) && typeof v === 'object' && !Array.isArray(v);
}

function setAt(root: unknown, path: Path, value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && Array.isArray(cur)) cur.splice(Number(last), 1);
  else if (remove) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** Strings a program would take for one of its options, if they reached its argument list first. */
export const OPTION_LIKE = ['-w/tmp/netlab-fuzz-victim', '--help', '-rf', '-c9999', ' -w/x', '-Vfuzz', '--fuzz'];

/** Values a careless or hostile author might write. */
const oddValue = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(
    '../etc',
    'a/b',
    'nœud',
    'x'.repeat(80),
    '10.244.0.0',
    '10.244.0.1',
    '999.1.1.1',
    '10.244.0.0/33',
    '-1',
    '',
    'node1',
    'pod1',
    '${pod1.ip}',
    '${nope.ip}',
    ...OPTION_LIKE,
  ),
  fc.integer({ min: -5, max: 70000 }),
);

/** One random mutation of a valid lab: replace, remove or add a value anywhere. */
export const mutatedLab = fc
  .record({
    pick: fc.nat(),
    action: fc.constantFrom('replace', 'remove', 'add'),
    value: oddValue,
    key: fc.constantFrom('extra', 'name', 'node', 'ip', 'replicas', 'podSubnet', 'address', 'listen', 'tcp'),
  })
  .map(({ pick, action, value, key }) => {
    const lab = baseLab();
    const all = paths(lab);
    if (action === 'add') {
      // Only a mapping can take a new key.
      const maps = all.filter((p) => isMapping(valueAt(lab, p)));
      return setAt(lab, [...maps[pick % maps.length]!, key], value);
    }
    const path = all[pick % all.length]!;
    return action === 'remove' ? setAt(lab, path, undefined, true) : setAt(lab, path, value);
  });

/** Random damage to the text itself: characters inserted or cut anywhere. */
export const mangledText = fc.record({ at: fc.nat(), cut: fc.nat({ max: 20 }), insert: fc.string({ maxLength: 12 }) }).map(({ at, cut, insert }) => {
  const text = stringify(baseLab());
  const i = at % text.length;
  return text.slice(0, i) + insert + text.slice(i + cut);
});

/** A valid lab with one string anywhere in it replaced by an option-looking one. */
export const optionLab = fc.record({ pick: fc.nat(), value: fc.constantFrom(...OPTION_LIKE) }).map(({ pick, value }) => {
  const lab = baseLab();
  const strings = paths(lab).filter((p) => typeof valueAt(lab, p) === 'string');
  return setAt(lab, strings[pick % strings.length]!, value);
});

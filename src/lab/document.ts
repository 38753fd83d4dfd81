import { LineCounter, isMap, isNode, isPair, isScalar, parseDocument, visit, type Document } from 'yaml';
import type { LabProblem, SourcePosition } from '../errors.js';
import { formatPath, type DocPath } from './path.js';

/** A parsed lab file that can still say where each value came from. */
export interface LabDocument {
  file: string;
  /** The plain data (`doc.toJS()`); only meaningful when `problems` is empty. */
  data: unknown;
  problems: LabProblem[];
  /** Where the value at `path` starts; falls back to the nearest parent that exists. */
  locate(path: DocPath): SourcePosition;
  /** Where the key of `path`'s last element starts (for "unknown key" errors). */
  locateKey(path: DocPath, key: string): SourcePosition;
}

export function parseLabText(file: string, text: string): LabDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const toPosition = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };

  const locate = (path: DocPath): SourcePosition => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return toPosition(node.range[0]);
    }
    return { line: 1, col: 1 };
  };

  const locateKey = (path: DocPath, key: string): SourcePosition => {
    const parent = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (isMap(parent)) {
      for (const item of parent.items) {
        if (isPair(item) && isScalar(item.key) && item.key.value === key && item.key.range) {
          return toPosition(item.key.range[0]);
        }
      }
    }
    return locate(path);
  };

  const problems: LabProblem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    file,
    position: toPosition(e.pos[0]),
    path: '',
    message: `YAML ${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${firstLine(e.message)}`,
  }));

  let data: unknown = null;
  if (problems.length === 0) {
    const converted = toData(doc);
    if (converted.ok) data = converted.data;
    else problems.push({ file, position: converted.at === undefined ? { line: 1, col: 1 } : toPosition(converted.at), path: '', message: converted.message });
  }
  if (problems.length === 0 && (data === null || typeof data !== 'object' || Array.isArray(data))) {
    problems.push({
      file,
      position: locate([]),
      path: '',
      message: 'a lab file must be a YAML mapping',
      hint: 'start with `name: my-lab` and a `nodes:` list',
    });
  }
  return { file, data, problems, locate, locateKey };
}

/**
 * The document as plain data. An alias with no anchor, or too many aliases
 * (maxAliasCount guards against "billion laughs" bombs), pass the parser and
 * fail here: they become a problem at the alias, not an exception.
 */
function toData(doc: Document): { ok: true; data: unknown } | { ok: false; message: string; at: number | undefined } {
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    let at: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (at === undefined && node.range && (node.resolve(doc) === undefined || /alias/i.test((e as Error).message))) at = node.range[0];
      },
    });
    return { ok: false, message: `YAML alias error: ${firstLine((e as Error).message)}`, at };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** A problem at a path of this document. */
export function problemAt(doc: LabDocument, path: DocPath, message: string, hint?: string): LabProblem {
  return { file: doc.file, position: doc.locate(path), path: formatPath(path), message, ...(hint ? { hint } : {}) };
}

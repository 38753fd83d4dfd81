import { LineCounter, isMap, isNode, isPair, isScalar, parseDocument, type Document } from 'yaml';
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
  if (problems.length === 0) data = toData(doc);
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

function toData(doc: Document): unknown {
  // maxAliasCount guards against "billion laughs" alias bombs in hostile input.
  return doc.toJS({ maxAliasCount: 100 });
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** A problem at a path of this document. */
export function problemAt(
  doc: LabDocument,
  path: DocPath,
  message: string,
  hint?: string,
): LabProblem {
  return { file: doc.file, position: doc.locate(path), path: formatPath(path), message, ...(hint ? { hint } : {}) };
}

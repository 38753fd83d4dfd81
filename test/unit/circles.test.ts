import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module of src/ and the modules it imports or re-exports from (type-only ones included). */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        const deps = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '(\.[^']+)'/gms)].map((m) =>
          normalize(join(dirname(path), m[1]!.replace(/\.js$/, '.ts'))),
        );
        graph.set(normalize(path), deps);
      }
    }
  };
  walk(root);
  return graph;
}

/** The import circles of a graph, each once, as the modules around it. */
function circles(graph: Map<string, string[]>): string[] {
  const found = new Set<string>();
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const loop = path.slice(at);
      const start = loop.indexOf([...loop].sort()[0]!);
      found.add([...loop.slice(start), ...loop.slice(0, start)].join(' -> '));
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return [...found];
}

describe('the house', () => {
  it('has no import circle in src/, type-only imports included (issue #24)', () => {
    expect(circles(importGraph('src'))).toEqual([]);
  });

  it('would see one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(circles(graph)).toEqual(['a.ts -> b.ts -> c.ts']);
  });
});

/** The modules of `graph` that import `module`. */
function importersOf(graph: Map<string, string[]>, module: string): string[] {
  return [...graph].filter(([, deps]) => deps.includes(module)).map(([m]) => m);
}

describe('the watcher has one entry point (issue #24)', () => {
  const graph = importGraph('src');

  it('only lifecycle/watch.ts uses plan/watch.ts and kernel/watch.ts (kernel/watch.ts takes its types from the plan)', () => {
    expect(importersOf(graph, 'src/kernel/watch.ts')).toEqual(['src/lifecycle/watch.ts']);
    expect(importersOf(graph, 'src/plan/watch.ts').sort()).toEqual(['src/kernel/watch.ts', 'src/lifecycle/watch.ts']);
  });

  it('and lifecycle/watch.ts gives the rest one value, `watcher`', () => {
    const text = readFileSync('src/lifecycle/watch.ts', 'utf8');
    const values = [...text.matchAll(/^export (?:async )?(?:const|function|class|let) (\w+)/gm)].map((m) => m[1]);
    expect(values).toEqual(['watcher']);
  });

  it('which only src/lifecycle imports', () => {
    expect(importersOf(graph, 'src/lifecycle/watch.ts').every((m) => m.startsWith('src/lifecycle/'))).toBe(true);
  });
});

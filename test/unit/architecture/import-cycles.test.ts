import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Dependencies point one way. The product's code (src/, resolvers/, graph-models/) may have no import
 * cycle, neither between files nor between folders (a folder is src/<name>, resolvers or graph-models).
 * The allowed direction, outside in: cli -> api -> resolvers -> graph-models (graphql-layer.test.ts); api and
 * resolvers -> app (composition root) -> domains (anomaly, recommend, segments, privacy, import, demo) ->
 * ingest -> event-log, graph -> events; config, auth, observability and util sit low and import no domain
 * but the settings they validate. Imports are read with TypeScript's own parser and resolver, so they are
 * the ones tsc follows (type-only imports count: they are dependencies a reader follows too).
 */
const ROOT = path.resolve(__dirname, '../../../..');
const PRODUCT = ['src', 'resolvers', 'graph-models'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'generated' ? [] : sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

function folderOf(file: string): string {
  const [top, second] = path.relative(ROOT, file).split(path.sep);
  return top === 'src' && second && !second.endsWith('.ts') ? `src/${second}` : top!;
}

function importGraph(): Map<string, Set<string>> {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, resolveJsonModule: true };
  const files = PRODUCT.flatMap((d) => sourceFiles(path.join(ROOT, d)));
  const inProduct = new Set(files);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const ref of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const resolved = ts.resolveModuleName(ref.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved && inProduct.has(resolved)) targets.add(resolved);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one member (Tarjan): each is at least one cycle. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('no import cycle between files of the product', () => {
  const graph = importGraph();
  assert.ok(graph.size > 50, `read ${graph.size} files: is the product where this test looks (${ROOT})?`);
  const found = cycles(graph).map((c) => c.map((f) => path.relative(ROOT, f)));
  assert.deepEqual(found, [], `file cycles:\n${found.map((c) => c.join(' <-> ')).join('\n')}`);
});

test('no import cycle between folders (src/<folder>, resolvers, graph-models)', () => {
  const folders = new Map<string, Set<string>>();
  const witness = new Map<string, string>();
  for (const [file, targets] of importGraph()) {
    const from = folderOf(file);
    if (!folders.has(from)) folders.set(from, new Set());
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      folders.get(from)!.add(to);
      if (!witness.has(`${from} -> ${to}`)) witness.set(`${from} -> ${to}`, `${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}`);
    }
  }
  const found = cycles(folders);
  const explain = found.map((c) => {
    const edges = [...witness.entries()].filter(([k]) => c.includes(k.split(' -> ')[0]!) && c.includes(k.split(' -> ')[1]!));
    return `${c.join(' <-> ')}:\n  ${edges.map(([, w]) => w).join('\n  ')}`;
  });
  assert.deepEqual(found, [], `folder cycles:\n${explain.join('\n')}`);
});

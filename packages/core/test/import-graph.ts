/**
 * The relative-import graph of a source tree, read with regular expressions rather than a
 * compiler: enough for a layering check, and no dependency. Type-only imports count, because a
 * type cycle is still a cycle for a reader.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** File → the files it imports, as paths relative to the tree's root with `/` separators. */
export type ImportGraph = Map<string, string[]>;

const STATIC = /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every `.ts` file under `root` (declaration files excluded). */
export function sourceFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split(sep).join('/'))
    .sort();
}

/** The module specifiers a file imports or re-exports from. */
export function importSpecifiers(text: string): string[] {
  return [STATIC, BARE, DYNAMIC].flatMap((re) => [...text.matchAll(re)].map((m) => m[1] as string));
}

/**
 * The graph of relative imports under `root`. A relative import that resolves to no file there is
 * listed in `unresolved`, so a parsing mistake cannot hide an edge.
 */
export function importGraph(root: string): { graph: ImportGraph; unresolved: string[] } {
  const graph: ImportGraph = new Map();
  const unresolved: string[] = [];
  for (const file of sourceFiles(root)) {
    const deps = new Set<string>();
    for (const spec of importSpecifiers(readFileSync(join(root, file), 'utf8'))) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      const target = resolveSource(root, posix.join(posix.dirname(file), spec));
      if (target === undefined) unresolved.push(`${file} → ${spec}`);
      else deps.add(target);
    }
    graph.set(file, [...deps].sort());
  }
  return { graph, unresolved };
}

/** `x.js` is written for `x.ts` (ESM output names), `x` for `x.ts` or `x/index.ts`. */
function resolveSource(root: string, path: string): string | undefined {
  const base = path.replace(/\.(m?)js$/, '.$1ts');
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (existsSync(join(root, candidate)) && !candidate.startsWith('..')) return relative(root, join(root, candidate)).split(sep).join('/');
  }
  return undefined;
}

/**
 * Every import cycle, each as the path that closes it (`a → b → a`); one per back edge of a
 * depth-first walk, so a graph with no cycle gives `[]`.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of graph.keys()) if (!done.has(node)) visit(node);
  return cycles;
}

/** A layer: files and folders (`dir/`) that may import only from their own layer and the ones below. */
export interface Layer {
  readonly name: string;
  readonly modules: readonly string[];
}

/**
 * Index in `layers` (bottom first) of the layer holding `file`: the longest matching entry
 * wins, so a folder can sit in one layer and one of its files in another. `-1`: in none.
 */
export function layerOf(file: string, layers: readonly Layer[]): number {
  let best = -1;
  let bestLength = -1;
  layers.forEach((layer, i) => {
    for (const m of layer.modules) {
      const matches = m.endsWith('/') ? file.startsWith(m) : file === m;
      if (matches && m.length > bestLength) [best, bestLength] = [i, m.length];
    }
  });
  return best;
}

/** Every import of a file from a higher layer than its own, as `from (layer) → to (layer)`. */
export function upwardImports(graph: ImportGraph, layers: readonly Layer[]): string[] {
  const name = (i: number) => layers[i]?.name ?? 'no layer';
  const out: string[] = [];
  for (const [file, deps] of graph) {
    const own = layerOf(file, layers);
    for (const dep of deps) {
      const theirs = layerOf(dep, layers);
      if (theirs > own) out.push(`${file} (${name(own)}) → ${dep} (${name(theirs)})`);
    }
  }
  return out;
}

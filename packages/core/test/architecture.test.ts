/**
 * Issue 15: no import cycle in any package, and core's modules in layers that only import
 * downward (docs/architecture.md#layers explains the order). A new folder or file must be given
 * a layer here before it can be merged.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, type ImportGraph, importGraph, type Layer, layerOf, upwardImports } from './import-graph.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CORE_SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Bottom first. A file may import from its own layer and the layers below it. */
const CORE_LAYERS: readonly Layer[] = [
  // Leaves every layer may use; logging is a utility, unlike the observer interface (below).
  // Peer option names: data every option check (core's and route limits') may consult.
  { name: 'base', modules: ['errors.ts', 'clock.ts', 'tiers.ts', 'util/', 'observe/logger.ts', 'observe/log-throttle.ts', 'config/peer-options.ts'] },
  { name: 'algorithms', modules: ['algorithms/'] },
  { name: 'policies', modules: ['breaker/', 'routing/', 'tenant/'] },
  { name: 'store', modules: ['store/'] },
  // What a decision is and who hears about it: observers receive decisions, breaker changes,
  // store and lookup failures, so they sit above those and below everything that reports.
  { name: 'events', modules: ['manager/decision.ts', 'observe/'] },
  { name: 'load', modules: ['load/'] },
  // Option types live with their owners but sit below config/, which validates them.
  // The handler's view of a decision (rate-limit-info.ts) is what refusal options' hooks receive.
  {
    name: 'option types',
    modules: ['manager/manager-options.ts', 'manager/leasing-options.ts', 'http/http-options.ts', 'http/rate-limit-info.ts', 'admin/admin-options.ts'],
  },
  // Response builders: config/ reads header families, the admin API writes problem responses.
  { name: 'responses', modules: ['http/headers.ts', 'http/policy-headers.ts', 'http/problem.ts'] },
  { name: 'config', modules: ['config/'] },
  { name: 'manager', modules: ['manager/'] },
  { name: 'admin', modules: ['admin/'] },
  { name: 'http', modules: ['http/'] },
  // The adapter kit: what every framework adapter needs, over HttpRateLimiter and the admin API.
  { name: 'adapter', modules: ['adapter/'] },
  { name: 'entry', modules: ['index.ts', 'store.ts', 'adapter.ts'] },
];

const show = (cycles: string[][]) => cycles.map((c) => c.join(' → '));

describe('core layers', () => {
  const { graph, unresolved } = importGraph(CORE_SRC);

  it('resolves every relative import (the parser missed nothing)', () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(unresolved).toEqual([]);
  });

  it('places every source file in a layer', () => {
    expect([...graph.keys()].filter((f) => layerOf(f, CORE_LAYERS) === -1)).toEqual([]);
  });

  it('has no import from a higher layer', () => {
    expect(upwardImports(graph, CORE_LAYERS)).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(show(findCycles(graph))).toEqual([]);
  });
});

describe('no import cycle in any package', () => {
  const roots = ['packages', 'examples'].flatMap((group) =>
    readdirSync(`${REPO}${group}`)
      .map((name) => `${group}/${name}/src`)
      .filter((src) => existsSync(`${REPO}${src}`)),
  );

  it('finds the packages', () => {
    expect(roots).toEqual(expect.arrayContaining(['packages/core/src', 'packages/store-redis/src', 'packages/express/src']));
  });

  it.each(roots)('%s', (src) => {
    const { graph, unresolved } = importGraph(`${REPO}${src}`);
    expect(unresolved).toEqual([]);
    expect(show(findCycles(graph))).toEqual([]);
  });

  it('nor between workspace packages', () => {
    const graph: ImportGraph = new Map();
    for (const dir of readdirSync(`${REPO}packages`)) {
      const file = `${REPO}packages/${dir}/package.json`;
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | string | undefined>;
      const deps = ['dependencies', 'devDependencies', 'peerDependencies'].flatMap((k) => Object.keys((pkg[k] as Record<string, string>) ?? {}));
      graph.set(
        pkg.name as string,
        deps.filter((d) => d.startsWith('@aurum/')),
      );
    }
    expect(show(findCycles(graph))).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('report a cycle, type-only or not, as the path that closes it', () => {
    const graph: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(show(findCycles(graph))).toEqual(['a.ts → b.ts → c.ts → a.ts']);
  });

  it('report an upward import, and let a file sit in another layer than its folder', () => {
    const layers: Layer[] = [
      { name: 'low', modules: ['low/', 'high/types.ts'] },
      { name: 'high', modules: ['high/'] },
    ];
    const graph: ImportGraph = new Map([
      ['low/x.ts', ['high/types.ts', 'high/y.ts']],
      ['high/y.ts', ['low/x.ts']],
    ]);
    expect(upwardImports(graph, layers)).toEqual(['low/x.ts (low) → high/y.ts (high)']);
  });
});

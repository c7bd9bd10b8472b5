import { readFileSync } from 'node:fs';
import * as core from '@aurum/ratelimit-core';
import { ENV_VARS } from '@aurum/ratelimit-core';
import { HTTP_OPTION_KEYS, MANAGER_OPTION_KEYS } from '@aurum/ratelimit-core/adapter';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error: a plain .mjs script without types
import { renderLoadChart } from '../../../scripts/load-chart.mjs';

const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  const text = doc('configuration.md');
  // `{FREE,BASIC,PREMIUM,ENTERPRISE}_RPS` in the table documents four variables at once.
  const expanded = text.replace(/([A-Z_]*)\{([A-Z,]+)\}([A-Z_]*)/g, (_m, pre: string, alts: string, post: string) =>
    alts
      .split(',')
      .map((a) => `${pre}${a}${post}`)
      .join(' '),
  );

  it('documents every environment variable the code reads', () => {
    for (const name of ENV_VARS) expect(expanded, name).toContain(name);
  });

  it('documents every option the code accepts', () => {
    for (const key of [...MANAGER_OPTION_KEYS, ...HTTP_OPTION_KEYS, 'manager']) expect(text, key).toMatch(new RegExp(`\`${key}[\`.:]`));
  });
});

describe('docs/admin-api.openapi.yaml', () => {
  const spec = parse(doc('admin-api.openapi.yaml')) as { openapi: string; paths: Record<string, Record<string, unknown>> };

  it('is OpenAPI 3.1 and describes exactly the routes docs/admin-api.md lists', () => {
    expect(spec.openapi).toBe('3.1.0');
    const routes = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((k) => k !== 'parameters')
        .map((m) => `${m.toUpperCase()} ${path.replace('{id}', ':id')}`),
    );
    const listed = [...doc('admin-api.md').matchAll(/^\| `(GET|PUT|POST|DELETE) ([^`]+)`/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(routes.sort()).toEqual(listed.sort());
  });
});

describe('docs/load-shedding.svg', () => {
  it('is what scripts/load-chart.mjs draws from the current loadFactor (pnpm docs:load-chart)', () => {
    expect(readFileSync(new URL('../../../docs/load-shedding.svg', import.meta.url), 'utf8')).toBe(renderLoadChart(core));
  });
});

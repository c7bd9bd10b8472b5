import { expect } from 'vitest';
import { request } from './http-client.js';

/** One sample line of the Prometheus text exposition format. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A scraped `/metrics` body: `# TYPE` declarations by metric name, and every sample. */
export interface ScrapedMetrics {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly MetricSample[];
  /** Samples of one metric (histograms: pass the `_bucket`/`_count`/`_sum` name). */
  of(name: string): MetricSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus text format 0.0.4 (what prom-client's `registry.metrics()` writes). */
export function parseMetrics(text: string): ScrapedMetrics {
  const types = new Map<string, string>();
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (name && type) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (m[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (raw as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { types, samples, of: (name) => samples.filter((s) => s.name === name) };
}

/**
 * What every example's `/metrics` endpoint must do: scraped `times` times from one address (more
 * than a free tier's burst) it answers 200 each time (scrapes are never rate limited and carry
 * no rate-limit headers), in text format 0.0.4, with a `# TYPE` line for each of `names`.
 * Returns the last scrape, parsed.
 */
export async function scrapeMetricsEndpoint(baseUrl: string, names: readonly string[], times = 12): Promise<ScrapedMetrics> {
  const scrapes = [];
  for (let i = 0; i < times; i++) scrapes.push(await request(baseUrl, '/metrics'));
  expect(scrapes.map((s) => s.status)).toEqual(Array(times).fill(200));
  const scrape = scrapes[scrapes.length - 1] as (typeof scrapes)[number];
  expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(scrape.headers['x-ratelimit-limit']).toBeUndefined();
  const metrics = parseMetrics(scrape.text);
  for (const name of names) expect(metrics.types.has(name), `# TYPE ${name}`).toBe(true);
  return metrics;
}

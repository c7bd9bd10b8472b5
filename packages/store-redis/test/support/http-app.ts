/**
 * A tiny node:http app on the core's HttpRateLimiter and a RedisStore on a real redis-server (or
 * a store the test built, e.g. on a Redis Cluster), for the fault and degradation tests: the
 * same ~20 lines of glue as examples/custom-server, plus a timed HTTP client, a bounded load
 * generator and recorders for decisions and breaker transitions.
 */
import { createServer, type IncomingMessage, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { CircuitStateChange, DecisionEvent, HealthReport, RateLimitOptions } from '@aurum/ratelimit-core';
import { createHttpRateLimiter, type HttpRateLimiter } from '@aurum/ratelimit-core/adapter';
import type { StoreFailure } from '@aurum/ratelimit-core/store';
import type { RedisOptions } from 'ioredis';
import { expect } from 'vitest';
import { createRedisStoreFromUrl, LIMITER_CLIENT_OPTIONS, type RedisClient, type RedisStore } from '../../src/index.js';

/**
 * Small timeouts so the fault tests run in seconds: the breaker opens once 3 calls in its
 * (default, 1 s) window are half failures, and probes again after 500 ms.
 */
export const STORE_TIMEOUT_MS = 50;
export const MINIMUM_CALLS = 3;
export const RESET_TIMEOUT_MS = 500;
/**
 * Scheduling slack on top of the store timeout for the bulk of requests (median, p90): client,
 * server, two store calls and the loop itself share one process on a 2-core machine.
 */
export const LATENCY_MARGIN_MS = 250;
/**
 * Slack on top of the store timeout for the slowest single request: on a loaded machine one
 * request may meet a GC pause or a descheduled process. Still well under the client's own
 * commandTimeout (2 s, LIMITER_CLIENT_OPTIONS), which is how long a request to a frozen Redis
 * would wait if the store timeout were not enforced, so such a request fails the bound.
 */
export const MAX_LATENCY_MARGIN_MS = 1_000;
/** createRedisStoreFromUrl's retryStrategy caps the reconnect delay at this. */
export const MAX_RECONNECT_DELAY_MS = 2_000;
export const ADMIN_TOKEN = 'fault-tests-admin-token';

/** Where the app's store comes from: a URL (the app builds and owns the store) or a ready store. */
export type AppStoreSource = { redisUrl: string; store?: never } | { store: RedisStore; redisUrl?: never };

export type AppOptions = AppStoreSource & {
  /** Limiter options merged over the fast defaults (timeouts, breaker, tier rules, admin). */
  limiter?: RateLimitOptions<IncomingMessage>;
  /** Extra ioredis options (with `redisUrl` only). */
  redis?: RedisOptions;
  /** Wait for the first Redis connection before resolving. @default true */
  waitForRedis?: boolean;
};

/** One response as the client saw it. */
export interface Sample {
  readonly tenant: string;
  readonly status: number;
  /** Client-side round trip, ms. */
  readonly ms: number;
  /** `performance.now()` when the request was sent. */
  readonly sentAt: number;
  readonly body: string;
  readonly error?: string;
}

export interface TestApp {
  readonly url: string;
  readonly limiter: HttpRateLimiter<IncomingMessage>;
  readonly store: RedisStore;
  /** The store's client: a `Redis` from `redisUrl`, or whatever the given store holds (e.g. a `Cluster`). */
  readonly client: RedisClient;
  /** Every decision the manager made, in order, stamped with `performance.now()`. */
  readonly decisions: Array<DecisionEvent & { readonly at: number }>;
  readonly transitions: Array<CircuitStateChange & { readonly perfAt: number }>;
  readonly failures: StoreFailure[];
  /** One timed GET with the tenant header. */
  get(tenant: string, path?: string): Promise<Sample>;
  /** GET /admin/ratelimit/health with the admin token. */
  adminHealth(): Promise<HealthReport>;
  close(): Promise<void>;
}

/** Client-side bound of one request: a hung request is recorded as status 0, never waited for. */
const REQUEST_GUARD_MS = 5_000;

const apps = new Set<TestApp>();

/** Closes every app still open (for afterEach). */
export async function closeAllApps(): Promise<void> {
  await Promise.all([...apps].map((app) => app.close()));
}

export async function startApp(options: AppOptions): Promise<TestApp> {
  const decisions: TestApp['decisions'] = [];
  const transitions: TestApp['transitions'] = [];
  const failures: StoreFailure[] = [];
  const store = options.store ?? createRedisStoreFromUrl(options.redisUrl, options.redis ? { redis: options.redis } : {});
  const limiter = createHttpRateLimiter<IncomingMessage>({
    store,
    env: false,
    load: { enabled: false },
    storeTimeoutMs: STORE_TIMEOUT_MS,
    circuitBreaker: { minimumCalls: MINIMUM_CALLS, resetTimeoutMs: RESET_TIMEOUT_MS },
    tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
    admin: { token: ADMIN_TOKEN },
    observer: {
      onDecision: (event) => decisions.push({ ...event, at: performance.now() }),
      onCircuitStateChange: (change) => transitions.push({ ...change, perfAt: performance.now() }),
      onStoreFailure: (failure) => failures.push(failure),
    },
    ...options.limiter,
  });

  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    if (limiter.admin?.matches(url)) {
      const response = await limiter.handleAdmin({ method: req.method ?? 'GET', path: url, headers: req.headers });
      if (response) {
        res.writeHead(response.status, response.headers);
        res.end(response.body);
        return;
      }
    }
    const outcome = await limiter.handle({ method: req.method ?? 'GET', url, headers: req.headers, ip: req.socket.remoteAddress, raw: req });
    if (outcome.action === 'respond') {
      res.writeHead(outcome.status, outcome.headers);
      res.end(outcome.body);
      return;
    }
    for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
    if (outcome.release) res.once('close', () => void outcome.release?.());
    res.setHeader('Content-Type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  let closed = false;
  const app: TestApp = {
    url,
    limiter,
    store,
    client: store.client,
    decisions,
    transitions,
    failures,
    get: (tenant, path = '/api/items') => timedGet(url, path, { 'x-tenant-id': tenant }, tenant),
    adminHealth: async () => {
      const res = await timedGet(url, '/admin/ratelimit/health', { authorization: `Bearer ${ADMIN_TOKEN}` }, 'admin');
      if (res.status !== 200) throw new Error(`admin health answered ${res.status}: ${res.body}`);
      return JSON.parse(res.body) as HealthReport;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      apps.delete(app);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Quits the client (or disconnects it when Redis cannot answer QUIT).
      await limiter.close();
    },
  };
  apps.add(app);
  if (options.waitForRedis !== false) await store.waitForConnection(5_000);
  return app;
}

function timedGet(base: string, path: string, headers: Record<string, string>, tenant: string): Promise<Sample> {
  const { hostname, port } = new URL(base);
  const sentAt = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number, body: string, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      resolve({ tenant, status, ms: performance.now() - sentAt, sentAt, body, ...(error !== undefined && { error }) });
    };
    const req = httpRequest({ host: hostname, port, path, method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => finish(0, '', String(err)));
    });
    const guard = setTimeout(() => {
      req.destroy();
      finish(0, '', `no response within ${REQUEST_GUARD_MS} ms`);
    }, REQUEST_GUARD_MS);
    req.on('error', (err) => finish(0, '', String(err)));
    req.end();
  });
}

export interface LoadOptions {
  /** Concurrent clients, each sending one request at a time. */
  clients: number;
  /** Stop sending after this long. */
  durationMs: number;
  /** Stop sending after this many requests in all. */
  maxRequests: number;
  /** Tenant of client `i`. */
  tenant: (client: number) => string;
  /** Pause between one client's requests, ms. @default 0 */
  gapMs?: number;
  /** Stop sending once aborted (besides the time and count bounds). */
  signal?: AbortSignal;
}

/** Runs `clients` request loops, bounded by time and by count; resolves with every sample. */
export async function runLoad(app: TestApp, options: LoadOptions): Promise<Sample[]> {
  const samples: Sample[] = [];
  const end = performance.now() + options.durationMs;
  let sent = 0;
  const client = async (i: number) => {
    while (performance.now() < end && sent < options.maxRequests && !options.signal?.aborted) {
      sent++;
      samples.push(await app.get(options.tenant(i)));
      if (options.gapMs) await sleep(options.gapMs);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  return samples;
}

export interface LatencyStats {
  count: number;
  max: number;
  p99: number;
  p90: number;
  p50: number;
  statuses: Record<number, number>;
}

export function stats(samples: readonly Sample[]): LatencyStats {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const statuses: Record<number, number> = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  const round = (n: number) => Math.round(n * 10) / 10;
  return { count: samples.length, max: round(sorted.at(-1) ?? 0), p99: round(at(0.99)), p90: round(at(0.9)), p50: round(at(0.5)), statuses };
}

/** Event-loop delay of this process while `run` runs (to tell a slow machine from a slow limiter). */
export async function withLoopDelay<T>(run: () => Promise<T>): Promise<{ result: T; loopDelayMaxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const result = await run();
    return { result, loopDelayMaxMs: Math.round(h.max / 1e6) };
  } finally {
    h.disable();
  }
}

/**
 * The latency verdict of the fault tests: a dead or frozen store never holds a request beyond
 * `storeTimeoutMs` plus slack. The median and (given 20 samples or more) the 90th percentile
 * within {@link LATENCY_MARGIN_MS} of it, the slowest request within {@link MAX_LATENCY_MARGIN_MS}.
 * Not the 99th percentile: one stall of this process delays every request in flight at once
 * (four with four clients), which is more than 1% of a few hundred samples. Soft assertions, so
 * the test's checks of events still run and report; returns the stats.
 */
export function expectBoundedLatency(samples: readonly Sample[], context: Record<string, unknown> = {}, storeTimeoutMs = STORE_TIMEOUT_MS): LatencyStats {
  const s = stats(samples);
  const bounds = { typical: storeTimeoutMs + LATENCY_MARGIN_MS, max: storeTimeoutMs + MAX_LATENCY_MARGIN_MS };
  const detail = JSON.stringify({ ...context, latency: s, bounds });
  expect(s.count, detail).toBeGreaterThan(0);
  expect.soft(s.p50, `median: ${detail}`).toBeLessThanOrEqual(bounds.typical);
  if (s.count >= 20) expect.soft(s.p90, `p90: ${detail}`).toBeLessThanOrEqual(bounds.typical);
  expect.soft(s.max, `max: ${detail}`).toBeLessThanOrEqual(bounds.max);
  return s;
}

// The max bound is only meaningful while a request that ignored the store timeout would break it.
if (STORE_TIMEOUT_MS + MAX_LATENCY_MARGIN_MS >= (LIMITER_CLIENT_OPTIONS.commandTimeout ?? Number.POSITIVE_INFINITY)) {
  throw new Error('MAX_LATENCY_MARGIN_MS must stay under the client commandTimeout');
}

/** Where an app's recorders stand now, for {@link expectOnRedis}. */
export interface RecorderMark {
  readonly decisions: number;
  readonly failures: number;
  readonly transitions: number;
}

export const mark = (app: TestApp): RecorderMark => ({ decisions: app.decisions.length, failures: app.failures.length, transitions: app.transitions.length });

/**
 * Since `from`, the app decided on Redis: the breaker stayed closed and at least `minDecisions`
 * decisions came from Redis. A call that timed out on a busy machine (50 ms store timeout) may
 * still be decided by the fallback, but then with its failure reported, one per such decision:
 * never because the breaker kept the app away from Redis. `onRedis`: the sources that count as
 * Redis ('lease' too for a leased tenant: tokens Redis gave).
 */
export function expectOnRedis(app: TestApp, from: RecorderMark, minDecisions = 1, onRedis: readonly string[] = ['primary']): void {
  const decisions = app.decisions.slice(from.decisions);
  const failed = app.failures.slice(from.failures).filter((f) => f.operation !== 'release');
  const detail = JSON.stringify({ sources: countBy(decisions.map((d) => d.source)), failures: failed.map((f) => f.operation) });
  expect(app.transitions.slice(from.transitions), detail).toEqual([]);
  expect(decisions.filter((d) => onRedis.includes(d.source)).length, detail).toBeGreaterThanOrEqual(minDecisions);
  const elsewhere = decisions.filter((d) => !onRedis.includes(d.source));
  expect(new Set(elsewhere.map((d) => d.source)), detail).toEqual(new Set(elsewhere.length > 0 ? ['fallback'] : []));
  expect(elsewhere.length, detail).toBeLessThanOrEqual(failed.length);
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` every 10 ms until it holds; returns `performance.now()` then, or throws after
 * `timeoutMs` (a deadline, not an expectation of how long it takes).
 */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (check()) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Sends requests for `tenant` (one every `everyMs`) until `check` holds, at most `timeoutMs`;
 * returns the ms it took. The breaker changes state only when a call arrives, so recovery is
 * driven by traffic, as in production.
 */
export async function driveUntil(
  app: TestApp,
  tenant: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 20,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    await app.get(tenant);
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

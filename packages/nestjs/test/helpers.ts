import { type DecisionEvent, MemoryStore, type RateLimitOptions } from '@aurum/ratelimit-core';
import { request, type TestResponse } from '@aurum/ratelimit-testkit';
import type { INestApplication, Type } from '@nestjs/common';
import { afterEach } from 'vitest';
import { type Platform, startNest } from './app.js';

export const PLATFORMS: Platform[] = ['express', 'fastify'];

/** Options every test app starts from: no env, no load adjustment. */
export const base = { env: false, load: { enabled: false } } satisfies RateLimitOptions;

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});

/** Starts `module` on `platform`; closed after the test. */
export async function serve(platform: Platform, module: Type, configure?: (app: INestApplication) => void): Promise<{ url: string; app: INestApplication }> {
  const started = await startNest(platform, module, configure);
  running.push(started.close);
  return started;
}

/** GET with a tenant header. */
export const get = (url: string, path: string, tenant = 'acme', headers: Record<string, string> = {}): Promise<TestResponse> =>
  request(url, path, { headers: { 'x-tenant-id': tenant, ...headers } });

/** Collects decision events (cost, bucket, route) for assertions. */
export function decisions(): { events: DecisionEvent[]; observer: { onDecision: (e: DecisionEvent) => void } } {
  const events: DecisionEvent[] = [];
  return { events, observer: { onDecision: (e) => events.push(e) } };
}

/** A memory store counting concurrency releases. */
export class CountingStore extends MemoryStore {
  releases = 0;
  /** Every release goes through here: the manager calls it directly, and `release()` calls it too. */
  override releaseSync(key: string, leaseId: string): true {
    this.releases++;
    return super.releaseSync(key, leaseId);
  }
}

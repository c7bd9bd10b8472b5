/**
 * SCRIPT FLUSH (or a restart, or a failover to a replica without the scripts) makes EVALSHA
 * answer NOSCRIPT. The store must send the script again within the same decision: no decision
 * may fail, fall back or count against the breaker.
 */
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTS } from '../src/index.js';
import { closeAllApps, runLoad, type Sample, sleep, startApp } from './support/http-app.js';

let redis: RedisServer;
/** An operator's connection: SCRIPT FLUSH through it, not through a spawned redis-cli, whose fork stalls this process. */
let admin: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
  await closeAllApps();
});

const cached = async (sha: string) => ((await admin.script('EXISTS', sha)) as number[])[0];
const flush = () => admin.script('FLUSH');

describe('SCRIPT FLUSH mid-run', () => {
  it('costs no failed decision: every decision comes from Redis and the breaker sees no failure', async () => {
    // NOSCRIPT mishandled shows as store errors, whatever the timeout; a generous one keeps a GC
    // pause of this busy process (tens of ms) from passing for a failure of the script cache.
    const app = await startApp({ redisUrl: redis.url, limiter: { storeTimeoutMs: 1_000 } });
    const first = await runLoad(app, { clients: 2, durationMs: 5_000, maxRequests: 40, tenant: (i) => `ent-flush-${i}` });
    // The HTTP path runs the combined decision-and-lease script.
    expect(await cached(SCRIPTS.consumeAcquire.sha)).toBe(1);

    await flush();
    expect(await cached(SCRIPTS.consumeAcquire.sha)).toBe(0);
    const afterFlush = await runLoad(app, { clients: 2, durationMs: 5_000, maxRequests: 40, tenant: (i) => `ent-flush-${i}` });

    // And flushes racing concurrent traffic.
    let flushes = 0;
    const load = runLoad(app, { clients: 4, durationMs: 1_000, maxRequests: 2_000, tenant: (i) => `ent-flush-${i}` });
    const flusher = (async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(100);
        await flush();
        flushes++;
      }
    })();
    const racing = await load;
    await flusher;
    // Traffic after the last flush puts the scripts back.
    const last = await runLoad(app, { clients: 1, durationMs: 5_000, maxRequests: 5, tenant: () => 'ent-flush-0' });

    const all: Sample[] = [...first, ...afterFlush, ...racing, ...last];
    console.info(`[script-flush] ${all.length} requests, ${flushes + 1} flushes, sources ${JSON.stringify([...new Set(app.decisions.map((d) => d.source))])}`);
    expect(racing.length).toBeGreaterThan(100);
    expect(flushes).toBe(5);
    expect(all.map((s) => s.status)).toEqual(all.map(() => 200));
    expect(app.decisions).toHaveLength(all.length);
    expect(new Set(app.decisions.map((d) => d.source))).toEqual(new Set(['primary']));
    expect(app.failures).toEqual([]);
    expect(app.limiter.manager.breaker.totalFailures).toBe(0);
    expect(app.transitions).toEqual([]);
    expect(await cached(SCRIPTS.consumeAcquire.sha)).toBe(1);
  }, 20_000);
});

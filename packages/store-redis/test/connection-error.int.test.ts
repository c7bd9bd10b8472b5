/**
 * Issue 14: while Redis is unreachable, ioredis refuses commands with "Stream isn't writeable and
 * enableOfflineQueue options is false", which hides why. The store's error carries the last
 * connection error (ECONNREFUSED here) in its message and as `cause`, and so does the default
 * logger's line. Against a port on 127.0.0.1 with nothing listening.
 */
import { consoleLogger, createRateLimitManager } from '@aurum/ratelimit-core';
import { freePort } from '@aurum/ratelimit-testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';

const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** A store whose client failed its first connection and waits (a minute) before retrying. */
async function unreachableStore(): Promise<{ store: RedisStore; port: number }> {
  const port = await freePort();
  const client = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 60_000 });
  clients.push(client);
  const store = new RedisStore({ client, fleet: false });
  // Rejects on the first connection error, once the store has seen it.
  await expect(store.whenConnected()).rejects.toThrow();
  return { store, port };
}

describe('a store whose Redis is unreachable', () => {
  it('rejects decisions and pings with the connection error as cause and in the message', async () => {
    const { store, port } = await unreachableStore();
    for (const call of [() => store.consume('t:b', { rate: 1, burst: 1 }, 1), () => store.ping()]) {
      const error = (await call().catch((e: unknown) => e)) as Error & { cause?: Error & { code?: string } };
      expect(error.message).toMatch(/Stream isn't writeable/);
      expect(error.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
      expect(error.cause?.code).toBe('ECONNREFUSED');
    }
  });

  it('the default logger prints the real cause', async () => {
    const { store, port } = await unreachableStore();
    const lines: string[] = [];
    const sink: Parameters<typeof consoleLogger>[1] = { debug: () => {}, info: () => {}, warn: (l) => lines.push(l), error: (l) => lines.push(l) };
    const manager = createRateLimitManager({ store, logger: consoleLogger('warn', sink), env: false, load: { enabled: false } });
    try {
      expect((await manager.checkRateLimit('acme', '/')).allowed).toBe(true);
    } finally {
      await manager.close();
    }
    const failed = lines.filter((l) => l.includes('store call failed'));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
  });
});

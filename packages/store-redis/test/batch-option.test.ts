/** The `batch` option of RedisStore (and createRedisStoreFromUrl): validated, every problem reported at once. */
import { RateLimitConfigError } from '@aurum/ratelimit-core';
import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { createRedisStoreFromUrl, RedisStore, type RedisStoreOptions } from '../src/index.js';

const client = () => new RedisMock({ port: 41_999, enableOfflineQueue: false });

function problems(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(RateLimitConfigError);
    return (error as RateLimitConfigError).issues.map((i) => `${i.key}: ${i.message}`);
  }
  return [];
}

describe('RedisStore batch option', () => {
  it.each([true, false, { maxSize: 1 }, { maxSize: 64 }, { maxSize: 4096 }, {}])('accepts %j', async (batch) => {
    const store = new RedisStore({ client: client(), fleet: false, batch });
    await store.close();
  });

  it.each<unknown>(['yes', 1, null, { maxSize: 0 }, { maxSize: 4097 }, { maxSize: 2.5 }, { maxSize: '8' }, { size: 8 }])(
    'refuses %j, naming the option',
    (batch) => {
      expect(problems(() => new RedisStore({ client: client(), fleet: false, batch: batch as RedisStoreOptions['batch'] }))).toEqual([
        expect.stringMatching(/^batch: must be true, false or \{ maxSize: a whole number in \[1, 4096\] \}, got /),
      ]);
    },
  );

  it('is reported with the other problems, and checked by createRedisStoreFromUrl too', () => {
    expect(problems(() => new RedisStore({ client: client(), fleet: false, keyPrefix: 'a{b', batch: { maxSize: -1 } }))).toHaveLength(2);
    expect(problems(() => createRedisStoreFromUrl('redis://127.0.0.1:1', { batch: 'no' as unknown as boolean }))).toHaveLength(1);
  });
});

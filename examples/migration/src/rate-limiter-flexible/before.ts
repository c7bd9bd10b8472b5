// Before: rate-limiter-flexible with a Redis limiter and an in-memory insurance limiter.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';

export function createLimiter(client: Redis) {
  const limiter = new RateLimiterRedis({
    storeClient: client,
    keyPrefix: 'api',
    points: 10,
    duration: 1,
    insuranceLimiter: new RateLimiterMemory({ points: 10, duration: 1 }),
  });
  return async (tenantId: string, cost = 1): Promise<{ allowed: boolean; retryAfterMs: number }> => {
    try {
      await limiter.consume(tenantId, cost);
      return { allowed: true, retryAfterMs: 0 };
    } catch (rejection) {
      if (rejection instanceof Error) throw rejection;
      return { allowed: false, retryAfterMs: (rejection as RateLimiterRes).msBeforeNext };
    }
  };
}

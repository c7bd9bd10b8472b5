// After: Aurum's manager. No exceptions for refusals, a whole decision back, and the in-memory
// fallback (with a circuit breaker and a per-call timeout) is built in.
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { createRedisStore } from '@aurum/ratelimit-redis';
import type { Redis } from 'ioredis';

export function createLimiter(client?: Redis) {
  const manager = createRateLimitManager({
    tiers: { free: { requestsPerSecond: 10, burstSize: 10 } },
    ...(client && { store: createRedisStore({ client, keyPrefix: 'api:' }) }),
  });
  const limit = async (tenantId: string, cost = 1): Promise<{ allowed: boolean; retryAfterMs: number }> => {
    const { allowed, metadata } = await manager.checkRateLimit(tenantId, '/', { cost });
    return { allowed, retryAfterMs: metadata.retryAfterMs };
  };
  return Object.assign(limit, { close: () => manager.close() });
}

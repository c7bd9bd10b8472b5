/**
 * Tier options for tests that assert an exact "10 in a row, then 429" on the free tier. The burst
 * stays 10, but a token comes back every 10 s instead of every 200 ms: on a starved CI machine
 * (a lane at the lowest priority beside another test run) eleven requests through HTTP and Redis
 * can take longer than 200 ms, and the 11th would then be answered from a refilled token.
 */
export const SLOW_REFILL_TIERS = { free: { requestsPerSecond: 0.1 } };

/**
 * What the example apps' tests start them with: no environment, no load shedding, the slow free
 * tier above; with a Redis URL also a 50 ms store timeout and a breaker that may open after two
 * calls, so that a killed Redis shows within a test's time.
 */
export function exampleTestOptions(redisUrl?: string) {
  const base = { env: false as const, load: { enabled: false }, tiers: SLOW_REFILL_TIERS };
  return redisUrl === undefined ? base : { ...base, redisUrl, storeTimeoutMs: 50, circuitBreaker: { minimumCalls: 2 } };
}

/**
 * Tier options for tests that assert an exact "10 in a row, then 429" on the free tier. The burst
 * stays 10, but a token comes back every 10 s instead of every 200 ms: on a starved CI machine
 * (a lane at the lowest priority beside another test run) eleven requests through HTTP and Redis
 * can take longer than 200 ms, and the 11th would then be answered from a refilled token.
 */
export const SLOW_REFILL_TIERS = { free: { requestsPerSecond: 0.1 } };

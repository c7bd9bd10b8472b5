import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { ResolvedManagerConfig } from '../config/resolve-manager.js';
import type { RateLimitStore } from '../store/types.js';

/**
 * The one line a manager logs when it starts (info): where limits live, what happens when that
 * store fails, and the tier table — so a dead Redis at boot, or a fallback that divides every
 * quota, is visible in the first lines of the log.
 */
export function startupSummary(config: ResolvedManagerConfig, store: RateLimitStore, breaker: CircuitBreaker): [Record<string, unknown>, string] {
  const primary = config.store;
  const shared = primary !== undefined && primary.local !== true;
  const tiers = Object.entries(config.tiers)
    .map(([name, q]) => `${name} ${+q.requestsPerSecond.toPrecision(4)}/s burst ${q.burstSize}`)
    .join(', ');
  const failure = !shared
    ? ''
    : config.failMode === 'fallback'
      ? `, on failure memory at 1/${config.fallbackShare} of each quota, breaker at ${breaker.failureRateThreshold}% of ${breaker.minimumCalls}+ calls per ${breaker.slidingWindowMs} ms, retried after ${breaker.resetTimeoutMs} ms`
      : `, on failure ${config.failMode === 'open' ? 'admit everything' : 'refuse with 503'} (failMode ${config.failMode})`;
  const modes = [config.shadow && 'shadow mode (never blocks)', config.load.enabled && 'load shedding on'].filter(Boolean).join(', ');
  const fields = {
    store: store.name,
    ...(shared && { failMode: config.failMode, fallbackShare: config.fallbackShare }),
  };
  return [fields, `rate limiting ready: store ${primary?.name ?? 'memory'}${failure}; tiers ${tiers}${modes ? `; ${modes}` : ''}`];
}

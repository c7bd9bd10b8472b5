import type { CircuitBreakerOptions } from '../../breaker/circuit-breaker.js';
import type { AnonymousPolicy, RateLimitHttpOptions } from '../../http/http-options.js';
import type { LoadOptions } from '../../load/load-options.js';
import type { RateLimitManagerOptions } from '../../manager/manager-options.js';
import type { LogLevel } from '../../observe/console-logger.js';
import type { TenantQuotaConfig } from '../../tiers.js';

/** Options read from the environment; code options given beside them win. */
export type RateLimitEnvConfig = Pick<
  RateLimitManagerOptions<string>,
  'defaultTier' | 'tierRules' | 'shadow' | 'circuitBreaker' | 'storeTimeoutMs' | 'failMode' | 'fallbackShare' | 'concurrencyLeaseMs' | 'lookupTimeoutMs'
> &
  Pick<RateLimitHttpOptions<unknown, string>, 'tenantHeaders' | 'anonymous' | 'trustProxy' | 'problemFormat' | 'requestIdHeader'> & {
    /** `AURUM_API_CACHE_REDIS_URL`: when set, the default manager uses Redis. */
    redisUrl?: string;
    /** `AURUM_API_RATE_LIMIT_REDIS_PREFIX`: prefix of every Redis key. */
    redisKeyPrefix?: string;
    /** `AURUM_API_RATE_LIMIT_LEASING`: quota leasing on or off. */
    leasing?: boolean;
    /** `AURUM_API_RATE_LIMIT_LOG_LEVEL`: the default logger's level. */
    logLevel?: LogLevel;
    /** `AURUM_API_RATE_LIMIT_ADMIN_TOKEN`. */
    adminToken?: string;
    /** `AURUM_API_RATE_LIMIT_{TIER}_*`: per tier, the fields set. */
    tiers?: Record<string, Partial<TenantQuotaConfig>>;
    /** `AURUM_API_RATE_LIMIT_LOAD_*`. */
    load?: LoadOptions<string>;
  };

type Nested = 'circuitBreaker' | 'tiers' | 'anonymous' | 'load';

/** Where a variable's value goes in {@link RateLimitEnvConfig}: a path of keys, checked by the compiler. */
export type EnvTarget =
  | readonly [Exclude<keyof RateLimitEnvConfig, Nested>]
  | readonly ['circuitBreaker', keyof CircuitBreakerOptions]
  | readonly ['tiers', string, keyof TenantQuotaConfig]
  | readonly ['anonymous', keyof AnonymousPolicy]
  | readonly ['load', keyof LoadOptions]
  | readonly ['load', 'floor', string];

// Every environment variable this library reads, as data: parsing, validation, the list of
// known names and the table in docs/configuration.md (scripts/docs-config.ts) all come from here,
// so a variable cannot be read without being documented, or documented without being read.
import { MAX_BREAKER_MS } from '../../breaker/circuit-breaker.js';
import { MAX_TIMER_MS } from '../../clock.js';
import { LOG_LEVELS } from '../../observe/console-logger.js';
import { DEFAULT_TIER_QUOTAS, type DefaultTier, TIERS, type TenantQuotaConfig, tierEnvName } from '../../tiers.js';
import { MAX_CONCURRENCY, MAX_FALLBACK_SHARE, MAX_PRIORITY_BOOST } from '../checks.js';
import type { EnvTarget } from './env-config.js';
import {
  adminToken,
  boolean,
  type EnvParser,
  fraction,
  headerList,
  headerName,
  listOf,
  map,
  number,
  oneOf,
  positive,
  rate,
  redisKeyPrefix,
  redisUrl,
  secondsAsMs,
  tierRulesOf,
  timerMs,
  trustProxy,
  whole,
} from './parsers.js';

/** Prefix of every variable but {@link REDIS_URL_VAR}; an unknown name with it is an error. */
export const ENV_PREFIX = 'AURUM_API_RATE_LIMIT_';
/** The Redis URL, shared with the rest of the Aurum API (hence outside {@link ENV_PREFIX}). */
export const REDIS_URL_VAR = 'AURUM_API_CACHE_REDIS_URL';

/** One environment variable: how to read it, where it goes, and how the docs describe it. */
export interface EnvVariable {
  readonly name: string;
  readonly parser: EnvParser<unknown>;
  /** Where the value goes in the loaded config. */
  readonly to: EnvTarget;
  /** The default as the docs show it (Markdown); absent: "unset". */
  readonly shown?: string;
  /** What it does, one line of Markdown for the docs. */
  readonly doc: string;
  /** For per-tier variables: the name with `{TIER}` for the tier; the docs show the family as one row. */
  readonly family?: string;
}

const prefixed = (suffix: string, rest: Omit<EnvVariable, 'name'>): EnvVariable => ({ name: ENV_PREFIX + suffix, ...rest });

/** The variable `{TIER}_<suffix>` for each tier, in table order. */
const perTier = (tiers: readonly string[], suffix: string, rest: (tier: string) => Omit<EnvVariable, 'name' | 'family'>): EnvVariable[] =>
  tiers.map((tier) => ({ name: `${ENV_PREFIX}${tierEnvName(tier)}_${suffix}`, family: `${ENV_PREFIX}{TIER}_${suffix}`, ...rest(tier) }));

const quota = (tiers: readonly string[], suffix: string, field: keyof TenantQuotaConfig, parser: EnvParser<unknown>, doc: string) =>
  perTier(tiers, suffix, (tier) => ({
    parser,
    to: ['tiers', tier, field],
    shown: tier in DEFAULT_TIER_QUOTAS ? String(DEFAULT_TIER_QUOTAS[tier as DefaultTier][field]) : field === 'priorityBoost' ? '1' : 'required',
    doc,
  }));

const code = (value: string | number) => `\`${value}\``;

/**
 * Every variable for a manager with these tier names (the defaults, then the code's own), in the
 * order the docs list them; the loader applies them in this order too.
 */
export function envTable(tiers: readonly string[]): readonly EnvVariable[] {
  return [
    {
      name: REDIS_URL_VAR,
      parser: redisUrl,
      to: ['redisUrl'],
      doc: 'when set, `getRateLimitManager()` uses Redis through `@aurum/ratelimit-redis`',
    },

    prefixed('CIRCUIT_FAILURE_RATE', {
      parser: number('a percentage in (0, 100]', (n) => n > 0 && n <= 100),
      to: ['circuitBreaker', 'failureRateThreshold'],
      shown: code(50),
      doc: 'percentage of store calls in the window that must fail to open the breaker',
    }),
    prefixed('CIRCUIT_MINIMUM_CALLS', {
      parser: whole(1),
      to: ['circuitBreaker', 'minimumCalls'],
      shown: code(5),
      doc: 'calls the window must hold before its failure rate can open the breaker',
    }),
    prefixed('CIRCUIT_WINDOW_MS', {
      parser: whole(1, MAX_BREAKER_MS),
      to: ['circuitBreaker', 'slidingWindowMs'],
      shown: code(1000),
      doc: "length of the breaker's sliding window, in ms",
    }),
    // The original variable: it counted consecutive failures, and now sets minimumCalls (see the
    // cross-checks: it may not be set beside CIRCUIT_MINIMUM_CALLS).
    prefixed('CIRCUIT_THRESHOLD', {
      parser: whole(1),
      to: ['circuitBreaker', 'minimumCalls'],
      shown: code(5),
      doc: 'the 0.1 name of `CIRCUIT_MINIMUM_CALLS` (see below); set one or the other',
    }),
    prefixed('CIRCUIT_RESET_TIMEOUT', {
      parser: secondsAsMs,
      to: ['circuitBreaker', 'resetTimeoutMs'],
      shown: code(60),
      doc: 'seconds (not ms) the breaker stays open before probing',
    }),
    prefixed('CIRCUIT_HALF_OPEN_PROBES', {
      parser: whole(1),
      to: ['circuitBreaker', 'halfOpenProbes'],
      shown: code(1),
      doc: 'probe calls while half-open; all must succeed to close',
    }),
    prefixed('CIRCUIT_SLOW_CALL_MS', {
      parser: positive(MAX_BREAKER_MS),
      to: ['circuitBreaker', 'slowCallMs'],
      shown: 'off',
      doc: 'a store call slower than this, in ms, counts as a failure',
    }),

    prefixed('TENANT_HEADERS', {
      parser: headerList,
      to: ['tenantHeaders'],
      shown: code('X-Tenant-ID,X-Aurum-Tenant'),
      doc: 'headers carrying the tenant id, first present wins',
    }),
    ...quota(tiers, 'RPS', 'requestsPerSecond', rate, 'refill rate, requests per second'),
    ...quota(tiers, 'BURST', 'burstSize', whole(1), 'bucket capacity; with the rate, a refill window (burst / rate) of at most 30 days'),
    ...quota(tiers, 'MAX_CONCURRENT', 'maxConcurrentRequests', whole(1, MAX_CONCURRENCY), 'requests in flight per tenant'),
    ...quota(tiers, 'PRIORITY', 'priorityBoost', positive(MAX_PRIORITY_BOOST), 'priority boost under load'),
    prefixed('DEFAULT_TIER', { parser: oneOf(tiers), to: ['defaultTier'], shown: code('free'), doc: 'tier of tenants no rule places' }),
    prefixed('TIER_RULES', {
      parser: tierRulesOf(tiers),
      to: ['tierRules'],
      shown: 'none',
      doc: 'globs, first match wins: `ent-*=enterprise,prem-*=premium`',
    }),

    prefixed('ANONYMOUS', {
      parser: oneOf(['ip', 'shared', 'reject']),
      to: ['anonymous', 'mode'],
      shown: code('ip'),
      doc: 'requests without a tenant: a bucket per address group, one shared bucket, or 400',
    }),
    prefixed('ANONYMOUS_TIER', { parser: oneOf(tiers), to: ['anonymous', 'tier'], shown: code('free'), doc: 'tier of anonymous clients' }),
    prefixed('IPV4_PREFIX', { parser: whole(0, 32), to: ['anonymous', 'ipv4Prefix'], shown: code(32), doc: 'IPv4 prefix length grouping anonymous clients' }),
    prefixed('IPV6_PREFIX', { parser: whole(0, 128), to: ['anonymous', 'ipv6Prefix'], shown: code(56), doc: 'IPv6 prefix length grouping anonymous clients' }),
    prefixed('TRUST_PROXY', {
      parser: trustProxy,
      to: ['trustProxy'],
      shown: code('false'),
      doc: 'believe `X-Forwarded-For`: `true` (left-most), a hop count from the right, or the addresses/CIDRs of trusted proxies',
    }),

    prefixed('LOG_LEVEL', {
      parser: oneOf(LOG_LEVELS),
      to: ['logLevel'],
      shown: '`info` (`warn` when `NODE_ENV=test`)',
      doc: 'what the default console logger prints: the start-up summary (info), breaker changes and store errors (warn)…; ignored when a `logger` is given',
    }),
    prefixed('SHADOW', { parser: boolean, to: ['shadow'], shown: code('false'), doc: 'shadow mode: decide and report, never block' }),
    prefixed('STORE_TIMEOUT_MS', { parser: timerMs(), to: ['storeTimeoutMs'], shown: code(100), doc: 'longest wait for one shared-store call, in ms' }),
    prefixed('LOOKUP_TIMEOUT_MS', {
      parser: timerMs(),
      to: ['lookupTimeoutMs'],
      shown: code(100),
      doc: 'longest wait for `resolveTier` / `resolveTenant`, in ms',
    }),
    prefixed('FAIL_MODE', {
      parser: oneOf(['fallback', 'open', 'closed']),
      to: ['failMode'],
      shown: code('fallback'),
      doc: 'when the shared store fails: limit from memory, admit everything, or answer 503',
    }),
    prefixed('FALLBACK_SHARE', {
      parser: whole(1, MAX_FALLBACK_SHARE),
      to: ['fallbackShare'],
      shown: code(1),
      doc: 'expected instance count; the fallback grants each 1/share of every limit',
    }),
    prefixed('LEASING', {
      parser: boolean,
      to: ['leasing'],
      shown: code('false'),
      doc: 'quota leasing for hot tenants, on a store that can take tokens (Redis, memory); see [scaling](scaling.md#hot-tenants-quota-leasing)',
    }),
    prefixed('LEASE_MS', { parser: timerMs(), to: ['concurrencyLeaseMs'], shown: code(60000), doc: 'lifetime of an unreleased concurrency lease, in ms' }),
    prefixed('PROBLEM_FORMAT', {
      parser: oneOf(['aurum', 'rfc9457']),
      to: ['problemFormat'],
      shown: code('aurum'),
      doc: '`aurum` (the `{"error":{…}}` body) or `rfc9457`',
    }),
    prefixed('REQUEST_ID_HEADER', { parser: headerName, to: ['requestIdHeader'], shown: code('X-Request-ID'), doc: "header echoed as the body's `instance`" }),
    prefixed('ADMIN_TOKEN', { parser: adminToken, to: ['adminToken'], doc: 'bearer token of the admin API (unset: admin refuses all)' }),
    prefixed('REDIS_PREFIX', { parser: redisKeyPrefix, to: ['redisKeyPrefix'], shown: code('aurum:rl:'), doc: 'prefix of every Redis key' }),

    prefixed('LOAD_ENABLED', {
      parser: boolean,
      to: ['load', 'enabled'],
      shown: code('true'),
      doc: 'adjust quotas to load ([load shedding](load-shedding.md))',
    }),
    prefixed('LOAD_THRESHOLD', {
      parser: number('a number in [0, 1)', (n) => n >= 0 && n < 1),
      to: ['load', 'threshold'],
      shown: code(0.8),
      doc: 'load at or below which quotas are untouched',
    }),
    prefixed('LOAD_MIN_FACTOR', { parser: positive(1), to: ['load', 'minFactor'], shown: code(0.1), doc: 'multiplier at full load, before priority' }),
    // Before the per-tier floors, which override it for their tier.
    prefixed('LOAD_FLOOR', {
      parser: map(fraction, (floor) => Object.fromEntries(tiers.map((t) => [t, floor]))),
      to: ['load', 'floor'],
      shown: code(0.05),
      doc: 'lowest multiplier of every tier',
    }),
    ...perTier(tiers, 'LOAD_FLOOR', (tier) => ({
      parser: fraction,
      to: ['load', 'floor', tier],
      shown: code('LOAD_FLOOR'),
      doc: 'lowest multiplier of one tier',
    })),
    prefixed('LOAD_SIGNALS', {
      parser: listOf(['eventLoopUtilization', 'eventLoopDelay', 'inFlight']),
      to: ['load', 'signals'],
      shown: code('eventLoopUtilization'),
      doc: 'signals combined by max',
    }),
    prefixed('LOAD_IN_FLIGHT_CAPACITY', {
      parser: whole(1),
      to: ['load', 'inFlightCapacity'],
      doc: 'requests in flight that read as full load (required with `inFlight`)',
    }),
    prefixed('LOAD_DELAY_CEILING_MS', {
      parser: positive(MAX_TIMER_MS),
      to: ['load', 'delayCeilingMs'],
      shown: code(100),
      doc: 'mean event-loop delay, in ms, that reads as full load',
    }),
    prefixed('LOAD_SAMPLE_INTERVAL_MS', { parser: timerMs(), to: ['load', 'sampleIntervalMs'], shown: code(1000), doc: 'sampling period, in ms' }),
    prefixed('LOAD_SMOOTHING_MS', {
      parser: number(`a number in [0, ${MAX_TIMER_MS}]`, (n) => n >= 0 && n <= MAX_TIMER_MS),
      to: ['load', 'smoothingMs'],
      shown: code(5000),
      doc: 'EWMA time constant, in ms (0: no smoothing)',
    }),
    prefixed('LOAD_FLEET', { parser: boolean, to: ['load', 'fleet'], shown: code('false'), doc: "decide on the fleet's mean load (needs Redis)" }),
    prefixed('LOAD_SHED_STATUS', {
      parser: map(oneOf(['429', '503']), Number),
      to: ['load', 'shedStatus'],
      shown: code(503),
      doc: 'status of a request refused because load cut its quota',
    }),
  ];
}

/** The variables of a manager with the default tiers, as docs/configuration.md lists them. */
export const ENV_TABLE: readonly EnvVariable[] = envTable(TIERS);

/** Every variable this library reads (with the default tiers), for docs and for catching typos. */
export const ENV_VARS: readonly string[] = ENV_TABLE.map((variable) => variable.name);

import { MAX_RATE, MIN_RATE, policyProblem } from '../algorithms/gcra.js';
import { MAX_BREAKER_MS } from '../breaker/circuit-breaker.js';
import { MAX_TIMER_MS } from '../clock.js';
import { RateLimitConfigError } from '../errors.js';
import type { FailMode } from '../store/resilient-store.js';
import type { TrustProxy } from '../tenant/client-address.js';
import { parseCidr } from '../tenant/ip.js';
import type { TierRule } from '../tenant/tier-resolver.js';
import { TIERS, type TenantQuotaConfig, type Tier, isTier } from '../tiers.js';
import { closest, Issues, MAX_CONCURRENCY, MAX_FALLBACK_SHARE, MAX_PRIORITY_BOOST } from './checks.js';
import { adminTokenProblem } from './admin-token.js';
import type { AnonymousMode, AnonymousPolicy, ProblemFormat, RateLimitHttpOptions } from '../http/http-options.js';
import type { BuiltinLoadSignal, LoadOptions } from '../load/load-options.js';
import type { RateLimitManagerOptions } from '../manager/manager-options.js';

/** Options read from the environment; code options given beside them win. */
export type RateLimitEnvConfig = Pick<
  RateLimitManagerOptions,
  | 'tiers'
  | 'defaultTier'
  | 'tierRules'
  | 'shadow'
  | 'circuitBreaker'
  | 'storeTimeoutMs'
  | 'failMode'
  | 'fallbackShare'
  | 'concurrencyLeaseMs'
  | 'lookupTimeoutMs'
> &
  Pick<RateLimitHttpOptions, 'tenantHeaders' | 'anonymous' | 'trustProxy' | 'problemFormat' | 'requestIdHeader'> & {
    /** `AURUM_API_CACHE_REDIS_URL`: when set, the default manager uses Redis. */
    redisUrl?: string;
    /** `AURUM_API_RATE_LIMIT_REDIS_PREFIX`: prefix of every Redis key. */
    redisKeyPrefix?: string;
    /** `AURUM_API_RATE_LIMIT_ADMIN_TOKEN`. */
    adminToken?: string;
    /** `AURUM_API_RATE_LIMIT_LOAD_*`. */
    load?: LoadOptions;
  };

export const ENV_PREFIX = 'AURUM_API_RATE_LIMIT_';
export const REDIS_URL_VAR = 'AURUM_API_CACHE_REDIS_URL';

const TIER_FIELDS = { RPS: 'requestsPerSecond', BURST: 'burstSize', MAX_CONCURRENT: 'maxConcurrentRequests', PRIORITY: 'priorityBoost' } as const;

/** Every variable this library reads, for docs and for catching typos. */
export const ENV_VARS: readonly string[] = [
  REDIS_URL_VAR,
  ...[
    'CIRCUIT_THRESHOLD',
    'CIRCUIT_FAILURE_RATE',
    'CIRCUIT_MINIMUM_CALLS',
    'CIRCUIT_WINDOW_MS',
    'CIRCUIT_RESET_TIMEOUT',
    'CIRCUIT_HALF_OPEN_PROBES',
    'CIRCUIT_SLOW_CALL_MS',
    'TENANT_HEADERS',
    'DEFAULT_TIER',
    'TIER_RULES',
    'ANONYMOUS',
    'ANONYMOUS_TIER',
    'IPV4_PREFIX',
    'IPV6_PREFIX',
    'TRUST_PROXY',
    'SHADOW',
    'STORE_TIMEOUT_MS',
    'LOOKUP_TIMEOUT_MS',
    'FAIL_MODE',
    'FALLBACK_SHARE',
    'LEASE_MS',
    'PROBLEM_FORMAT',
    'REQUEST_ID_HEADER',
    'ADMIN_TOKEN',
    'REDIS_PREFIX',
    'LOAD_ENABLED',
    'LOAD_THRESHOLD',
    'LOAD_MIN_FACTOR',
    'LOAD_FLOOR',
    'LOAD_SIGNALS',
    'LOAD_IN_FLIGHT_CAPACITY',
    'LOAD_DELAY_CEILING_MS',
    'LOAD_SAMPLE_INTERVAL_MS',
    'LOAD_SMOOTHING_MS',
    'LOAD_FLEET',
    'LOAD_SHED_STATUS',
    ...TIERS.flatMap((t) => Object.keys(TIER_FIELDS).map((f) => `${t.toUpperCase()}_${f}`)),
    ...TIERS.map((t) => `${t.toUpperCase()}_LOAD_FLOOR`),
  ].map((n) => ENV_PREFIX + n),
];

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads every `AURUM_API_*` variable, validates all of them and throws one
 * {@link RateLimitConfigError} naming each bad variable and why. Unknown `AURUM_API_RATE_LIMIT_*`
 * names are errors too: a typo must not silently leave a default in place.
 */
export function loadConfigFromEnv(env: Record<string, string | undefined> = process.env): RateLimitEnvConfig {
  const issues = new Issues();
  const out: RateLimitEnvConfig = {};
  const get = (name: string): string | undefined => {
    const raw = env[name];
    if (raw === undefined) return undefined;
    const v = raw.trim();
    return v === '' ? undefined : v;
  };
  const num = (name: string, check: (n: number) => boolean, expect: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    return issues.check(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v) && Number.isFinite(n) && check(n), name, `must be ${expect}, got ${JSON.stringify(v)}`)
      ? n
      : undefined;
  };
  const whole = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
    num(
      name,
      (n) => Number.isSafeInteger(n) && n >= min && n <= max,
      max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number in [${min}, ${max}]`,
    );
  // Finite: the pattern admits "1e999", which parses to Infinity (a timer of Infinity ms fires at once).
  const positive = (name: string, max = Number.POSITIVE_INFINITY) =>
    num(name, (n) => Number.isFinite(n) && n > 0 && n <= max, Number.isFinite(max) ? `a number in (0, ${max}]` : 'a finite number > 0');
  const rate = (name: string) =>
    num(name, (n) => n >= MIN_RATE && n <= MAX_RATE, `a number in [${MIN_RATE.toPrecision(4)}, ${MAX_RATE}] (one request per day to a million per second)`);
  // Whole milliseconds a Node timer honours: longer delays would fire after 1 ms.
  const timerMs = (name: string, min = 1) => whole(name, min, MAX_TIMER_MS);
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const v = get(name)?.toLowerCase();
    if (v === undefined) return undefined;
    return issues.check((allowed as readonly string[]).includes(v), name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`)
      ? (v as T)
      : undefined;
  };
  const bool = (name: string): boolean | undefined => {
    const v = get(name)?.toLowerCase();
    if (v === undefined) return undefined;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    issues.add(name, `must be true or false, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const P = ENV_PREFIX;

  const redisUrl = get(REDIS_URL_VAR);
  if (redisUrl !== undefined && issues.check(isRedisUrl(redisUrl), REDIS_URL_VAR, 'must be a redis:// or rediss:// URL')) out.redisUrl = redisUrl;

  // CIRCUIT_THRESHOLD is the seed's variable: it counted consecutive failures, and now sets
  // minimumCalls, the calls the window needs before its failure rate can open the breaker.
  const legacyThreshold = whole(`${P}CIRCUIT_THRESHOLD`, 1);
  const minimumCalls = whole(`${P}CIRCUIT_MINIMUM_CALLS`, 1);
  if (legacyThreshold !== undefined && minimumCalls !== undefined)
    issues.add(`${P}CIRCUIT_THRESHOLD`, `is the old name of ${P}CIRCUIT_MINIMUM_CALLS: set only ${P}CIRCUIT_MINIMUM_CALLS`);
  const failureRate = num(`${P}CIRCUIT_FAILURE_RATE`, (n) => n > 0 && n <= 100, 'a percentage in (0, 100]');
  const windowMs = whole(`${P}CIRCUIT_WINDOW_MS`, 1, MAX_BREAKER_MS);
  // Seconds, but the breaker counts whole ms: "0.0005" or "1e7" is a mistake, not a rounding.
  // (The tolerance absorbs binary fractions: 1.1 * 1000 is 1100.0000000000002.)
  const resetSeconds = num(
    `${P}CIRCUIT_RESET_TIMEOUT`,
    (n) => {
      const ms = Math.round(n * 1000);
      return ms >= 1 && ms <= MAX_BREAKER_MS && Math.abs(n * 1000 - ms) <= 1e-9 * ms;
    },
    `a number of seconds in [0.001, ${MAX_BREAKER_MS / 1000}] with at most 3 decimals`,
  );
  const halfOpenProbes = whole(`${P}CIRCUIT_HALF_OPEN_PROBES`, 1);
  const slowCallMs = positive(`${P}CIRCUIT_SLOW_CALL_MS`, MAX_BREAKER_MS);
  const breakerMinimumCalls = minimumCalls ?? legacyThreshold;
  const breaker = {
    ...(failureRate !== undefined && { failureRateThreshold: failureRate }),
    ...(breakerMinimumCalls !== undefined && { minimumCalls: breakerMinimumCalls }),
    ...(windowMs !== undefined && { slidingWindowMs: windowMs }),
    ...(resetSeconds !== undefined && { resetTimeoutMs: Math.round(resetSeconds * 1000) }),
    ...(halfOpenProbes !== undefined && { halfOpenProbes }),
    ...(slowCallMs !== undefined && { slowCallMs }),
  };
  if (Object.keys(breaker).length > 0) out.circuitBreaker = breaker;

  const headers = get(`${P}TENANT_HEADERS`);
  if (headers !== undefined) {
    const list = commaList(headers);
    const bad = list.filter((h) => !HEADER_NAME.test(h));
    if (
      issues.check(
        list.length > 0 && bad.length === 0,
        `${P}TENANT_HEADERS`,
        `must be a comma-separated list of header names${bad.length ? `; bad: ${bad.join(', ')}` : ''}`,
      )
    )
      out.tenantHeaders = list;
  }

  const tiers: Partial<Record<Tier, Partial<TenantQuotaConfig>>> = {};
  for (const tier of TIERS) {
    const T = `${P}${tier.toUpperCase()}_`;
    const q: Partial<TenantQuotaConfig> = {};
    const rps = rate(`${T}RPS`);
    const burst = whole(`${T}BURST`, 1);
    const conc = whole(`${T}MAX_CONCURRENT`, 1, MAX_CONCURRENCY);
    const prio = positive(`${T}PRIORITY`, MAX_PRIORITY_BOOST);
    if (rps !== undefined && burst !== undefined && policyProblem(rps, burst) !== undefined)
      issues.add(`${T}BURST`, `with ${T}RPS=${rps}, the refill window (burst / rate) must be at most 30 days, got ${burst} / ${rps}`);
    if (rps !== undefined) q.requestsPerSecond = rps;
    if (burst !== undefined) q.burstSize = burst;
    if (conc !== undefined) q.maxConcurrentRequests = conc;
    if (prio !== undefined) q.priorityBoost = prio;
    if (Object.keys(q).length > 0) tiers[tier] = q;
  }
  if (Object.keys(tiers).length > 0) out.tiers = tiers;

  const defaultTier = oneOf(`${P}DEFAULT_TIER`, TIERS);
  if (defaultTier) out.defaultTier = defaultTier;

  const rules = get(`${P}TIER_RULES`);
  if (rules !== undefined) {
    const parsed: TierRule[] = [];
    const bad: string[] = [];
    for (const entry of commaList(rules)) {
      const eq = entry.lastIndexOf('=');
      const pattern = entry.slice(0, eq).trim();
      const tier = entry
        .slice(eq + 1)
        .trim()
        .toLowerCase();
      if (eq > 0 && pattern !== '' && isTier(tier)) parsed.push({ pattern, tier });
      else bad.push(entry);
    }
    if (issues.check(bad.length === 0, `${P}TIER_RULES`, `must be comma-separated pattern=tier pairs (e.g. "ent-*=enterprise"); bad: ${bad.join(', ')}`))
      out.tierRules = parsed;
  }

  const anonMode = oneOf<AnonymousMode>(`${P}ANONYMOUS`, ['ip', 'shared', 'reject']);
  const anonTier = oneOf(`${P}ANONYMOUS_TIER`, TIERS);
  const v4 = whole(`${P}IPV4_PREFIX`, 0, 32);
  const v6 = whole(`${P}IPV6_PREFIX`, 0, 128);
  const anonymous: AnonymousPolicy = {
    ...(anonMode && { mode: anonMode }),
    ...(anonTier && { tier: anonTier }),
    ...(v4 !== undefined && { ipv4Prefix: v4 }),
    ...(v6 !== undefined && { ipv6Prefix: v6 }),
  };
  if (Object.keys(anonymous).length > 0) out.anonymous = anonymous;

  const trust = get(`${P}TRUST_PROXY`);
  if (trust !== undefined) {
    const parsed = parseTrustProxy(trust);
    if (
      issues.check(
        parsed !== undefined,
        `${P}TRUST_PROXY`,
        `must be true, false, a hop count, or a comma-separated list of addresses/CIDRs, got ${JSON.stringify(trust)}`,
      )
    )
      out.trustProxy = parsed as TrustProxy;
  }

  const shadow = bool(`${P}SHADOW`);
  if (shadow !== undefined) out.shadow = shadow;
  const timeout = timerMs(`${P}STORE_TIMEOUT_MS`);
  if (timeout !== undefined) out.storeTimeoutMs = timeout;
  const lookupTimeout = timerMs(`${P}LOOKUP_TIMEOUT_MS`);
  if (lookupTimeout !== undefined) out.lookupTimeoutMs = lookupTimeout;
  const failMode = oneOf<FailMode>(`${P}FAIL_MODE`, ['fallback', 'open', 'closed']);
  if (failMode) out.failMode = failMode;
  const share = whole(`${P}FALLBACK_SHARE`, 1, MAX_FALLBACK_SHARE);
  if (share !== undefined) out.fallbackShare = share;
  const lease = timerMs(`${P}LEASE_MS`);
  if (lease !== undefined) out.concurrencyLeaseMs = lease;
  const format = oneOf<ProblemFormat>(`${P}PROBLEM_FORMAT`, ['aurum', 'rfc9457']);
  if (format) out.problemFormat = format;
  const requestId = get(`${P}REQUEST_ID_HEADER`);
  if (requestId !== undefined && issues.check(HEADER_NAME.test(requestId), `${P}REQUEST_ID_HEADER`, 'must be a header name')) out.requestIdHeader = requestId;
  const token = get(`${P}ADMIN_TOKEN`);
  if (token !== undefined) {
    const problem = adminTokenProblem(token);
    if (issues.check(problem === undefined, `${P}ADMIN_TOKEN`, `${problem}`)) out.adminToken = token;
  }
  const prefix = get(`${P}REDIS_PREFIX`);
  if (prefix !== undefined && issues.check(!/[{}\s]/.test(prefix), `${P}REDIS_PREFIX`, 'must not contain braces or whitespace')) out.redisKeyPrefix = prefix;

  const load: LoadOptions = {};
  const loadEnabled = bool(`${P}LOAD_ENABLED`);
  if (loadEnabled !== undefined) load.enabled = loadEnabled;
  const threshold = num(`${P}LOAD_THRESHOLD`, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  if (threshold !== undefined) load.threshold = threshold;
  const minFactor = positive(`${P}LOAD_MIN_FACTOR`, 1);
  if (minFactor !== undefined) load.minFactor = minFactor;
  const fraction = (name: string) => num(name, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
  const floorAll = fraction(`${P}LOAD_FLOOR`);
  const tierFloors: Partial<Record<Tier, number>> = {};
  for (const tier of TIERS) {
    const f = fraction(`${P}${tier.toUpperCase()}_LOAD_FLOOR`) ?? floorAll;
    if (f !== undefined) tierFloors[tier] = f;
  }
  if (Object.keys(tierFloors).length > 0) load.floor = tierFloors;
  const signals = get(`${P}LOAD_SIGNALS`);
  if (signals !== undefined) {
    const list = commaList(signals);
    const known = ['eventLoopUtilization', 'eventLoopDelay', 'inFlight'];
    if (issues.check(list.length > 0 && list.every((x) => known.includes(x)), `${P}LOAD_SIGNALS`, `must be a comma-separated list of ${known.join(', ')}`))
      load.signals = list as BuiltinLoadSignal[];
  }
  const capacity = whole(`${P}LOAD_IN_FLIGHT_CAPACITY`, 1);
  if (capacity !== undefined) load.inFlightCapacity = capacity;
  const ceiling = positive(`${P}LOAD_DELAY_CEILING_MS`, MAX_TIMER_MS);
  if (ceiling !== undefined) load.delayCeilingMs = ceiling;
  const interval = timerMs(`${P}LOAD_SAMPLE_INTERVAL_MS`);
  if (interval !== undefined) load.sampleIntervalMs = interval;
  const smoothing = num(`${P}LOAD_SMOOTHING_MS`, (n) => n >= 0 && n <= MAX_TIMER_MS, `a number in [0, ${MAX_TIMER_MS}]`);
  if (smoothing !== undefined) load.smoothingMs = smoothing;
  const loadFleet = bool(`${P}LOAD_FLEET`);
  if (loadFleet !== undefined) load.fleet = loadFleet;
  const shed = oneOf<'429' | '503'>(`${P}LOAD_SHED_STATUS`, ['429', '503']);
  if (shed) load.shedStatus = Number(shed) as 429 | 503;
  if (Object.keys(load).length > 0) out.load = load;

  for (const name of Object.keys(env)) {
    if (!name.startsWith(P) || ENV_VARS.includes(name)) continue;
    const hint = closest(name, ENV_VARS);
    issues.add(name, `is not a known variable${hint ? ` (did you mean ${hint}?)` : ''}`);
  }

  if (issues.list.length > 0) throw new RateLimitConfigError(issues.list);
  return out;
}

/** The non-empty, trimmed items of a comma-separated value. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Parses the text form of {@link TrustProxy}; `undefined` when malformed. */
export function parseTrustProxy(text: string): TrustProxy | undefined {
  const v = text.trim().toLowerCase();
  if (['true', 'yes', 'on'].includes(v)) return true;
  if (['false', 'no', 'off'].includes(v)) return false;
  if (/^\d+$/.test(v)) return Number(v);
  const list = commaList(text);
  return list.length > 0 && list.every((c) => parseCidr(c) !== undefined) ? list : undefined;
}

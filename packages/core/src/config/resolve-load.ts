import type { RateLimitStore } from '../store/types.js';
import { MAX_TIMER_MS } from '../clock.js';
import { checkBoolean, checkKnownKeys, checkPositive, checkTimerMs, checkWhole, definedOnly, type Issues, isPlainObject } from './checks.js';
import type { RateLimitEnvConfig } from './env/env-config.js';
import type { AdaptiveConcurrencyOptions, LoadOptions, ResolvedLoadConfig } from '../load/load-options.js';

const LOAD_KEYS = [
  'enabled',
  'signals',
  'signal',
  'delayCeilingMs',
  'inFlightCapacity',
  'threshold',
  'minFactor',
  'floor',
  'sampleIntervalMs',
  'smoothingMs',
  'fleet',
  'shedStatus',
  'adaptiveConcurrency',
];
const BUILTIN_SIGNALS: readonly string[] = ['eventLoopUtilization', 'eventLoopDelay', 'inFlight'];
const ADAPTIVE_DEFAULTS: Required<AdaptiveConcurrencyOptions> = { initialLimit: 100, minLimit: 2, maxLimit: 1000, targetLatencyMs: 200, backoff: 0.9 };
const DEFAULT_FLOOR = 0.05;

/**
 * Validates `load` (code options over `AURUM_API_RATE_LIMIT_LOAD_*`, already validated by the
 * env loader) and fills in defaults. Every problem goes to `issues`.
 * @param store the manager's shared store: fleet load needs one that can share it
 * @param tiers the manager's tier names: per-tier floors may name only these
 */
export function resolveLoad(
  issues: Issues,
  load: LoadOptions<string> | undefined,
  env: RateLimitEnvConfig,
  store: RateLimitStore | undefined,
  tiers: readonly string[],
): ResolvedLoadConfig {
  // A key given as `undefined` in code keeps the environment's value, not erases it.
  const merged: LoadOptions<string> = { ...env.load, ...definedOnly(load) };
  if (load !== undefined && issues.check(isPlainObject(load), 'load', 'must be an object')) {
    checkKnownKeys(issues, 'load', load as Record<string, unknown>, LOAD_KEYS);
    checkBoolean(issues, 'load.enabled', load.enabled);
    if (load.signal !== undefined) issues.check(typeof load.signal === 'function', 'load.signal', `must be a function, got ${typeof load.signal}`);
    if (load.signals !== undefined) {
      issues.check(
        Array.isArray(load.signals) && load.signals.length > 0 && load.signals.every((s) => typeof s === 'function' || BUILTIN_SIGNALS.includes(s)),
        'load.signals',
        `must be a non-empty list of ${BUILTIN_SIGNALS.join(', ')} or functions`,
      );
    }
    checkPositive(issues, 'load.delayCeilingMs', load.delayCeilingMs, MAX_TIMER_MS);
    checkWhole(issues, 'load.inFlightCapacity', load.inFlightCapacity);
    if (load.threshold !== undefined)
      issues.check(
        typeof load.threshold === 'number' && load.threshold >= 0 && load.threshold < 1,
        'load.threshold',
        `must be a number in [0, 1), got ${String(load.threshold)}`,
      );
    checkPositive(issues, 'load.minFactor', load.minFactor, 1);
    if (load.floor !== undefined) checkFloor(issues, load.floor, tiers);
    checkTimerMs(issues, 'load.sampleIntervalMs', load.sampleIntervalMs);
    if (load.smoothingMs !== undefined)
      issues.check(
        typeof load.smoothingMs === 'number' && load.smoothingMs >= 0 && load.smoothingMs <= MAX_TIMER_MS,
        'load.smoothingMs',
        `must be a number in [0, ${MAX_TIMER_MS}], got ${String(load.smoothingMs)}`,
      );
    checkBoolean(issues, 'load.fleet', load.fleet);
    if (load.shedStatus !== undefined)
      issues.check(load.shedStatus === 429 || load.shedStatus === 503, 'load.shedStatus', `must be 429 or 503, got ${String(load.shedStatus)}`);
    if (load.adaptiveConcurrency !== undefined) checkAdaptive(issues, load.adaptiveConcurrency);
  }
  const enabled = merged.enabled ?? true;
  // `signal` alone replaces the default signal; beside `signals` it is one more.
  const own = typeof merged.signal === 'function' ? [merged.signal] : [];
  const signals: ResolvedLoadConfig['signals'] = Array.isArray(merged.signals) ? [...merged.signals, ...own] : own.length > 0 ? own : ['eventLoopUtilization'];
  if (enabled && signals.includes('inFlight') && merged.inFlightCapacity === undefined)
    issues.add('load.inFlightCapacity', 'is required when the inFlight signal is used (requests in flight that read as full load)');
  const fleet = merged.fleet === true;
  if (enabled && fleet && typeof store?.fleet?.publishLoad !== 'function')
    issues.add('load.fleet', 'needs a shared store that shares load (a RedisStore with fleet sync on); this manager has none');
  // Per tier: the code's floor, else the environment's, else the default.
  const pick = (f: LoadOptions<string>['floor'], t: string): number | undefined => (typeof f === 'number' ? f : isPlainObject(f) ? f[t] : undefined);
  const floor = Object.fromEntries(tiers.map((t) => [t, pick(load?.floor, t) ?? pick(env.load?.floor, t) ?? DEFAULT_FLOOR]));
  const adaptive = merged.adaptiveConcurrency;
  return {
    enabled,
    signals,
    delayCeilingMs: merged.delayCeilingMs ?? 100,
    inFlightCapacity: merged.inFlightCapacity,
    threshold: merged.threshold ?? 0.8,
    minFactor: merged.minFactor ?? 0.1,
    floor,
    sampleIntervalMs: merged.sampleIntervalMs ?? 1000,
    smoothingMs: merged.smoothingMs ?? 5_000,
    fleet,
    shedStatus: merged.shedStatus ?? 503,
    adaptiveConcurrency: adaptive === true || isPlainObject(adaptive) ? resolveAdaptive(adaptive === true ? {} : adaptive) : false,
  };
}

function resolveAdaptive(a: AdaptiveConcurrencyOptions): Required<AdaptiveConcurrencyOptions> {
  const minLimit = a.minLimit ?? ADAPTIVE_DEFAULTS.minLimit;
  const maxLimit = a.maxLimit ?? ADAPTIVE_DEFAULTS.maxLimit;
  const initialLimit = a.initialLimit ?? Math.min(maxLimit, Math.max(minLimit, ADAPTIVE_DEFAULTS.initialLimit));
  return {
    minLimit,
    maxLimit,
    initialLimit,
    targetLatencyMs: a.targetLatencyMs ?? ADAPTIVE_DEFAULTS.targetLatencyMs,
    backoff: a.backoff ?? ADAPTIVE_DEFAULTS.backoff,
  };
}

function checkFloor(issues: Issues, floor: unknown, tiers: readonly string[]): void {
  const fraction = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= 1;
  if (typeof floor === 'number') {
    issues.check(fraction(floor), 'load.floor', `must be a number in [0, 1], got ${String(floor)}`);
    return;
  }
  if (!issues.check(isPlainObject(floor), 'load.floor', 'must be a number in [0, 1] or an object keyed by tier')) return;
  checkKnownKeys(issues, 'load.floor', floor as Record<string, unknown>, tiers);
  for (const tier of tiers) {
    const v = (floor as Record<string, unknown>)[tier];
    if (v !== undefined) issues.check(fraction(v), `load.floor.${tier}`, `must be a number in [0, 1], got ${String(v)}`);
  }
}

function checkAdaptive(issues: Issues, adaptive: unknown): void {
  if (typeof adaptive === 'boolean') return;
  const key = 'load.adaptiveConcurrency';
  if (!issues.check(isPlainObject(adaptive), key, 'must be true, false or { initialLimit, minLimit, maxLimit, targetLatencyMs, backoff }')) return;
  const a = adaptive as AdaptiveConcurrencyOptions;
  checkKnownKeys(issues, key, a as Record<string, unknown>, Object.keys(ADAPTIVE_DEFAULTS));
  checkWhole(issues, `${key}.initialLimit`, a.initialLimit);
  checkWhole(issues, `${key}.minLimit`, a.minLimit);
  checkWhole(issues, `${key}.maxLimit`, a.maxLimit);
  checkPositive(issues, `${key}.targetLatencyMs`, a.targetLatencyMs, MAX_TIMER_MS);
  if (a.backoff !== undefined)
    issues.check(typeof a.backoff === 'number' && a.backoff > 0 && a.backoff < 1, `${key}.backoff`, `must be a number in (0, 1), got ${String(a.backoff)}`);
  const min = a.minLimit ?? ADAPTIVE_DEFAULTS.minLimit;
  const max = a.maxLimit ?? ADAPTIVE_DEFAULTS.maxLimit;
  const initial = a.initialLimit ?? Math.min(max, Math.max(min, ADAPTIVE_DEFAULTS.initialLimit));
  if (Number.isSafeInteger(min) && Number.isSafeInteger(max) && Number.isSafeInteger(initial))
    issues.check(min <= initial && initial <= max, key, `needs minLimit <= initialLimit <= maxLimit, got ${min}, ${initial}, ${max}`);
}

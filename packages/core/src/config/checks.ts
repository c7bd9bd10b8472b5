import type { ConfigIssue } from '../errors.js';
import { MAX_RATE, MAX_WINDOW_MS, MIN_RATE, policyProblem } from '../algorithms/gcra.js';
import { MAX_TIMER_MS } from '../clock.js';
import { peerOptionMessage } from './peer-options.js';
import type { TenantQuotaConfig } from '../tiers.js';

/** Collects configuration problems so they can be reported together. */
export class Issues {
  readonly list: ConfigIssue[] = [];

  add(key: string, message: string): void {
    this.list.push({ key, message });
  }

  /** Adds an issue unless `ok`; returns `ok`. */
  check(ok: boolean, key: string, message: string): boolean {
    if (!ok) this.add(key, message);
    return ok;
  }
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

export const isWhole = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
export const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

export function checkWhole(issues: Issues, key: string, v: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): void {
  if (v === undefined) return;
  issues.check(isWhole(v, min) && v <= max, key, `must be a whole number in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${show(v)}`);
}

export function checkPositive(issues: Issues, key: string, v: unknown, max = Number.POSITIVE_INFINITY): void {
  if (v === undefined) return;
  issues.check(isPositive(v) && v <= max, key, `must be a number > 0${Number.isFinite(max) ? ` and <= ${max}` : ''}, got ${show(v)}`);
}

/**
 * A duration in whole milliseconds that a timer (or a Redis TTL) will honour: Node turns any
 * delay above 2^31−1 ms into 1 ms, which would make a timeout fire at once.
 */
export function checkTimerMs(issues: Issues, key: string, v: unknown, min = 1): void {
  checkWhole(issues, key, v, min, MAX_TIMER_MS);
}

/** A refill rate one store can execute: one token per day up to a million per second. */
export function checkRate(issues: Issues, key: string, v: unknown): void {
  if (v === undefined) return;
  issues.check(
    typeof v === 'number' && v >= MIN_RATE && v <= MAX_RATE,
    key,
    `must be a number in [${MIN_RATE.toPrecision(4)}, ${MAX_RATE}] (one request per day to a million per second), got ${show(v)}`,
  );
}

/**
 * A complete quota's rate and burst together: the refill window burst / rate must fit the GCRA
 * domain. `note` says where a value came from when it is not obvious.
 */
export function checkWindow(issues: Issues, key: string, quota: { requestsPerSecond?: unknown; burstSize?: unknown }, note = ''): boolean {
  const { requestsPerSecond: rate, burstSize: burst } = quota;
  if (typeof rate !== 'number' || !Number.isSafeInteger(burst)) return true; // reported field by field
  if (rate < MIN_RATE || rate > MAX_RATE || (burst as number) < 1) return true;
  return issues.check(
    policyProblem(rate, burst) === undefined,
    key,
    `burstSize / requestsPerSecond (the refill window) must be at most ${MAX_WINDOW_MS / 86_400_000} days, got ${show(burst)} / ${show(rate)}${note}`,
  );
}

export function checkBoolean(issues: Issues, key: string, v: unknown): void {
  if (v === undefined) return;
  issues.check(typeof v === 'boolean', key, `must be true or false, got ${show(v)}`);
}

export function checkOneOf(issues: Issues, key: string, v: unknown, allowed: readonly string[]): void {
  if (v === undefined) return;
  issues.check(typeof v === 'string' && allowed.includes(v), key, `must be one of ${allowed.join(', ')}, got ${show(v)}`);
}

/** `v` names one of `tiers` (the manager's tier names); a near miss gets a suggestion. */
export function checkTier(issues: Issues, key: string, v: unknown, tiers: readonly string[]): void {
  if (v === undefined) return;
  if (typeof v === 'string' && tiers.includes(v)) return;
  const hint = typeof v === 'string' ? closest(v, tiers) : undefined;
  issues.add(key, `must be one of ${tiers.join(', ')}, got ${show(v)}${hint ? ` (did you mean ${hint}?)` : ''}`);
}

export function checkFunction(issues: Issues, key: string, v: unknown): void {
  if (v === undefined) return;
  issues.check(typeof v === 'function', key, `must be a function, got ${typeof v}`);
}

/** The object without its `undefined` values (spreading must not erase what they would override). */
export function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!isPlainObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
}

/** Reports keys of `obj` not in `known`, with a suggestion when one is close. */
export function checkKnownKeys(issues: Issues, prefix: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key) || obj[key] === undefined) continue;
    // At the top level, another limiter's option name gets the way to say it here.
    const peer = prefix === '' ? peerOptionMessage(key) : undefined;
    if (peer !== undefined) {
      issues.add(key, peer);
      continue;
    }
    const hint = closest(key, known);
    issues.add(prefix ? `${prefix}.${key}` : key, `is not a known option${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
}

/** Most concurrent requests a quota may allow (a lease set this large is already unusual). */
export const MAX_CONCURRENCY = 1_000_000_000;
/** Most instances the fallback can split a quota between. */
export const MAX_FALLBACK_SHARE = 10_000;
/** Largest priority boost (the load factor is raised to 1/boost). */
export const MAX_PRIORITY_BOOST = 1000;

/** Validates a (partial) quota: every present field in its domain, no unknown fields. */
export function checkQuota(issues: Issues, prefix: string, quota: unknown, extra: readonly string[] = []): void {
  if (!issues.check(isPlainObject(quota), prefix, 'must be an object')) return;
  const q = quota as Partial<TenantQuotaConfig> & Record<string, unknown>;
  checkKnownKeys(issues, prefix, q, ['requestsPerSecond', 'burstSize', 'maxConcurrentRequests', 'priorityBoost', ...extra]);
  checkRate(issues, `${prefix}.requestsPerSecond`, q.requestsPerSecond);
  checkWhole(issues, `${prefix}.burstSize`, q.burstSize);
  checkWhole(issues, `${prefix}.maxConcurrentRequests`, q.maxConcurrentRequests, 1, MAX_CONCURRENCY);
  checkPositive(issues, `${prefix}.priorityBoost`, q.priorityBoost, MAX_PRIORITY_BOOST);
  checkWindow(issues, prefix, q);
}

/** The entry of `candidates` within edit distance 2 of `word`, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * An override's rate and burst against every tier it may apply to (its pinned tier, else all):
 * an override that sets only the rate inherits the burst of whatever tier the tenant resolves to.
 */
export function checkOverrideWindow(issues: Issues, key: string, override: Record<string, unknown>, tiers: Readonly<Record<string, TenantQuotaConfig>>): void {
  const pinned = typeof override.tier === 'string' && Object.hasOwn(tiers, override.tier);
  for (const tier of pinned ? [override.tier as string] : Object.keys(tiers)) {
    const inherited = override.burstSize === undefined ? 'burstSize' : 'requestsPerSecond';
    const note =
      pinned || (override.burstSize !== undefined && override.requestsPerSecond !== undefined)
        ? ''
        : ` (with the ${tier} tier's ${inherited}; set both, or pin a tier)`;
    if (!checkWindow(issues, key, { ...tiers[tier], ...override }, note)) return;
  }
}

import type { ConfigIssue } from '../errors.js';
import { MAX_RATE } from '../algorithms/gcra.js';
import { TIERS, type TenantQuotaConfig, isTier } from '../tiers.js';

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

export function checkBoolean(issues: Issues, key: string, v: unknown): void {
  if (v === undefined) return;
  issues.check(typeof v === 'boolean', key, `must be true or false, got ${show(v)}`);
}

export function checkOneOf(issues: Issues, key: string, v: unknown, allowed: readonly string[]): void {
  if (v === undefined) return;
  issues.check(typeof v === 'string' && allowed.includes(v), key, `must be one of ${allowed.join(', ')}, got ${show(v)}`);
}

export function checkTier(issues: Issues, key: string, v: unknown): void {
  if (v === undefined) return;
  issues.check(isTier(v), key, `must be one of ${TIERS.join(', ')}, got ${show(v)}`);
}

export function checkFunction(issues: Issues, key: string, v: unknown): void {
  if (v === undefined) return;
  issues.check(typeof v === 'function', key, `must be a function, got ${typeof v}`);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
}

/** Reports keys of `obj` not in `known`, with a suggestion when one is close. */
export function checkKnownKeys(issues: Issues, prefix: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key) || obj[key] === undefined) continue;
    const hint = closest(key, known);
    issues.add(prefix ? `${prefix}.${key}` : key, `is not a known option${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
}

/** Validates a (partial) quota: every present field in its domain, no unknown fields. */
export function checkQuota(issues: Issues, prefix: string, quota: unknown, extra: readonly string[] = []): void {
  if (!issues.check(isPlainObject(quota), prefix, 'must be an object')) return;
  const q = quota as Partial<TenantQuotaConfig> & Record<string, unknown>;
  checkKnownKeys(issues, prefix, q, ['requestsPerSecond', 'burstSize', 'maxConcurrentRequests', 'priorityBoost', ...extra]);
  checkPositive(issues, `${prefix}.requestsPerSecond`, q.requestsPerSecond, MAX_RATE);
  checkWhole(issues, `${prefix}.burstSize`, q.burstSize);
  checkWhole(issues, `${prefix}.maxConcurrentRequests`, q.maxConcurrentRequests);
  checkPositive(issues, `${prefix}.priorityBoost`, q.priorityBoost);
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

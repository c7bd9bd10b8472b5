import { type Clock, systemTimers, type Timers } from '../clock.js';
import { LogThrottle } from '../observe/log-throttle.js';
import type { Logger } from '../observe/logger.js';
import { type Tier, TIERS } from '../tiers.js';
import { TIMED_OUT, within } from '../util/deadline.js';
import { BoundedMap } from '../util/lru.js';

/** Maps tenant ids to a tier. A string pattern is a glob: `*` any run, `?` one character. */
export interface TierRule<T extends string = Tier> {
  pattern: RegExp | string;
  tier: T;
}

/** Looks a tenant's tier up elsewhere (database, auth claims). Return `undefined` to fall through. */
export type ResolveTier<T extends string = Tier> = (tenantId: string) => T | undefined | null | Promise<T | undefined | null>;

/** A user lookup on the request path that failed or did not answer in time. */
export interface LookupFailure {
  readonly lookup: 'resolveTier' | 'resolveTenant';
  /** `timeout`: no answer within `lookupTimeoutMs`; `error`: it threw or rejected. */
  readonly reason: 'timeout' | 'error';
  readonly error?: unknown;
}

/** Compiles a glob or RegExp into an anchored, stateless RegExp. */
export function compilePattern(pattern: RegExp | string, flags = ''): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

export interface TierResolverOptions {
  rules: readonly TierRule<string>[];
  resolveTier?: ResolveTier<string>;
  /** The manager's tier names: an answer naming none of them is not used. @default the four default tiers */
  tiers?: readonly string[];
  defaultTier: string;
  cacheSize: number;
  cacheTtlMs: number;
  /** Longest wait for `resolveTier`, in ms. @default 100 */
  timeoutMs?: number;
  clock: Clock;
  timers?: Timers;
  logger: Logger;
  onFailure?: (failure: LookupFailure) => void;
}

/** A lookup in flight for one tenant: every request of that tenant waits on it, within its deadline. */
interface Pending {
  /** The answer within the deadline, or `undefined` (timed out, failed, or no usable tier). */
  readonly bounded: Promise<string | undefined>;
  readonly startedAt: number;
}

interface Known {
  readonly tier: string;
  readonly at: number;
}

/**
 * Tier detection: ordered rules, then the cached `resolveTier`, then the default tier.
 *
 * `resolveTier` runs under a deadline (`timeoutMs`) and is coalesced per tenant. When it does not
 * answer in time or fails, the tenant's last known tier is used (or the default tier); a late
 * answer still lands in the cache, so a slow backend refreshes it in the background. A lookup
 * already past its deadline is not waited for again: a hanging backend costs one deadline per
 * tenant, not one per request.
 */
export class TierResolver {
  private readonly rules: ReadonlyArray<{ re: RegExp; tier: string }>;
  /** Last answers, kept past their TTL so they can be served stale. */
  private readonly known: BoundedMap<string, Known>;
  private readonly pending = new Map<string, Pending>();
  private readonly timeoutMs: number;
  private readonly logs: LogThrottle;
  /** Bumped by `clear()`: answers of lookups started before it are not cached. */
  private generation = 0;

  constructor(private readonly options: TierResolverOptions) {
    this.rules = options.rules.map((r) => ({ re: compilePattern(r.pattern), tier: r.tier }));
    this.known = new BoundedMap(options.cacheSize);
    this.timeoutMs = options.timeoutMs ?? 100;
    this.logs = new LogThrottle(options.logger, options.clock);
  }

  /** The tier of `tenantId`; synchronous unless `resolveTier` has to be asked (and may be waited for). */
  resolve(tenantId: string): string | Promise<string> {
    for (const rule of this.rules) if (rule.re.test(tenantId)) return rule.tier;
    const lookup = this.options.resolveTier;
    if (!lookup) return this.options.defaultTier;
    const now = this.options.clock.now();
    const known = this.known.get(tenantId, now);
    if (known !== undefined && now - known.at < this.options.cacheTtlMs) return known.tier;
    const pending = this.pending.get(tenantId) ?? this.start(lookup, tenantId, now);
    if (now - pending.startedAt >= this.timeoutMs) return known?.tier ?? this.options.defaultTier;
    return pending.bounded.then((tier) => tier ?? this.known.get(tenantId, this.options.clock.now())?.tier ?? this.options.defaultTier);
  }

  /**
   * Until when (ms) the tenant's tier may be used without asking again: the end of its cached
   * answer's TTL, or `now` when the last answer is missing or stale (ask on the next request).
   */
  freshUntil(tenantId: string, now: number): number {
    const known = this.known.get(tenantId, now);
    return known !== undefined && now - known.at < this.options.cacheTtlMs ? known.at + this.options.cacheTtlMs : now;
  }

  /** Forgets cached lookups (after an admin change, say). */
  clear(tenantId?: string): void {
    this.generation++;
    if (tenantId === undefined) {
      this.known.clear();
      this.pending.clear();
    } else {
      this.known.delete(tenantId);
      this.pending.delete(tenantId);
    }
  }

  private start(lookup: ResolveTier<string>, tenantId: string, now: number): Pending {
    const generation = this.generation;
    const answer = Promise.resolve()
      .then(() => lookup(tenantId))
      .then(
        (tier) => this.remember(tenantId, tier, generation),
        (error: unknown) => {
          this.fail({ lookup: 'resolveTier', reason: 'error', error }, tenantId);
          return undefined;
        },
      )
      .finally(() => {
        if (this.pending.get(tenantId) === pending) this.pending.delete(tenantId);
      });
    const bounded = within(answer, this.timeoutMs, this.options.timers ?? systemTimers).then((tier) => {
      if (tier !== TIMED_OUT) return tier;
      this.fail({ lookup: 'resolveTier', reason: 'timeout' }, tenantId);
      return undefined;
    });
    const pending: Pending = { bounded, startedAt: now };
    this.pending.set(tenantId, pending);
    return pending;
  }

  /** Caches a usable answer (late ones too); `undefined` when the answer is not a tier. */
  private remember(tenantId: string, answer: string | undefined | null, generation: number): string | undefined {
    const tier = answer === undefined || answer === null ? this.options.defaultTier : answer;
    if (!(this.options.tiers ?? TIERS).includes(tier)) {
      this.options.logger.warn({ tenantId, tier }, 'resolveTier returned an unknown tier; using the default tier');
      return undefined;
    }
    if (generation === this.generation) this.known.set(tenantId, { tier, at: this.options.clock.now() }, this.options.clock.now());
    return tier;
  }

  private fail(failure: LookupFailure, tenantId: string): void {
    const why = failure.reason === 'timeout' ? `did not answer within ${this.timeoutMs} ms` : 'failed';
    this.logs.log('warn', `resolveTier:${failure.reason}`, { err: failure.error, tenantId }, `resolveTier ${why}; using the last known or the default tier`);
    try {
      this.options.onFailure?.(failure);
    } catch {
      // observers must not break limiting
    }
  }
}

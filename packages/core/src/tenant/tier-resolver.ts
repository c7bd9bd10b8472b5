import type { Clock } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import { isTier, type Tier } from '../tiers.js';
import { BoundedMap } from '../util/lru.js';

/** Maps tenant ids to a tier. A string pattern is a glob: `*` any run, `?` one character. */
export interface TierRule {
  pattern: RegExp | string;
  tier: Tier;
}

/** Looks a tenant's tier up elsewhere (database, auth claims). Return `undefined` to fall through. */
export type ResolveTier = (tenantId: string) => Tier | undefined | null | Promise<Tier | undefined | null>;

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
  rules: readonly TierRule[];
  resolveTier?: ResolveTier;
  defaultTier: Tier;
  cacheSize: number;
  cacheTtlMs: number;
  clock: Clock;
  logger: Logger;
}

/** Tier detection: ordered rules, then the cached `resolveTier`, then the default tier. */
export class TierResolver {
  private readonly rules: ReadonlyArray<{ re: RegExp; tier: Tier }>;
  private readonly cache: BoundedMap<string, Tier>;

  constructor(private readonly options: TierResolverOptions) {
    this.rules = options.rules.map((r) => ({ re: compilePattern(r.pattern), tier: r.tier }));
    this.cache = new BoundedMap(options.cacheSize, options.cacheTtlMs);
  }

  /** The tier of `tenantId`; synchronous unless `resolveTier` has to be asked. */
  resolve(tenantId: string): Tier | Promise<Tier> {
    for (const rule of this.rules) if (rule.re.test(tenantId)) return rule.tier;
    const lookup = this.options.resolveTier;
    if (!lookup) return this.options.defaultTier;
    const now = this.options.clock.now();
    const cached = this.cache.get(tenantId, now);
    if (cached !== undefined) return cached;
    return this.lookUp(lookup, tenantId, now);
  }

  /** Whether `resolveTier`'s answer for the tenant is cached (a failed lookup is not). */
  cached(tenantId: string, now: number): boolean {
    return this.cache.get(tenantId, now) !== undefined;
  }

  /** Forgets cached lookups (after an admin change, say). */
  clear(tenantId?: string): void {
    if (tenantId === undefined) this.cache.clear();
    else this.cache.delete(tenantId);
  }

  private async lookUp(lookup: ResolveTier, tenantId: string, now: number): Promise<Tier> {
    try {
      const tier = await lookup(tenantId);
      if (tier === undefined || tier === null) {
        this.cache.set(tenantId, this.options.defaultTier, now);
        return this.options.defaultTier;
      }
      if (!isTier(tier)) {
        this.options.logger.warn({ tenantId, tier }, 'resolveTier returned an unknown tier; using the default tier');
        return this.options.defaultTier;
      }
      this.cache.set(tenantId, tier, now);
      return tier;
    } catch (err) {
      // Not cached: the next request asks again.
      this.options.logger.warn({ err, tenantId }, 'resolveTier failed; using the default tier');
      return this.options.defaultTier;
    }
  }
}

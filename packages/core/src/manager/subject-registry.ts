import { InvalidTenantError } from '../errors.js';
import { assertTenantId, type TenantIdRules } from '../tenant/tenant-id.js';
import { anonymousSubject, bucketKey, isSubject, type Subject, tenantSubject } from './subject.js';
import { newContext, type TenantContext, TenantContexts, leaseKeyOf } from './tenant-context.js';

/**
 * Who decisions are about: validates tenant ids, mints subjects and keeps their contexts. A
 * string is only ever looked up among validated tenants, and only subjects minted here are
 * accepted, so no input can name an internal (anonymous) subject's keys.
 */
export class SubjectRegistry {
  private readonly contexts: TenantContexts;

  constructor(
    private readonly rules: TenantIdRules,
    maxTracked: number,
  ) {
    this.contexts = new TenantContexts(maxTracked);
  }

  /** Contexts tracked now (tenants and anonymous groups). */
  get size(): number {
    return this.contexts.size;
  }

  /** A validated tenant subject. @throws InvalidTenantError for a bad id */
  tenant(tenantId: string): Subject {
    return this.contexts.tenant(tenantId)?.subject ?? tenantSubject(this.validId(tenantId));
  }

  /** The subject of an anonymous client group (`ip:203.0.113.7`, `shared`). */
  anonymous(group: string, tier: string): Subject {
    return anonymousSubject(group, tier);
  }

  /** Throws {@link InvalidTenantError} unless `tenantId` is a valid tenant id; returns it. */
  validId(tenantId: unknown): string {
    return assertTenantId(tenantId, this.rules);
  }

  /** The cached context of a tenant id or subject, created (after validation) on first sight. */
  context(tenant: string | Subject): TenantContext {
    if (typeof tenant === 'string') return this.contexts.tenant(tenant) ?? this.contexts.add(newContext(tenantSubject(this.validId(tenant))));
    // Only subjects minted here: a hand-made object could name any key stem.
    if (!isSubject(tenant)) throw new InvalidTenantError('must be a tenant id string or a subject from manager.tenant() or manager.anonymous()');
    if (tenant.anonymous) {
      const ctx = this.contexts.internalSubject(tenant.key);
      return ctx !== undefined && ctx.subject.tier === tenant.tier ? ctx : this.contexts.add(newContext(tenant));
    }
    return this.contexts.tenant(tenant.tenantId) ?? this.contexts.add(newContext(tenantSubject(this.validId(tenant.tenantId))));
  }

  /** The cached context of a subject, if any (never creates one). */
  known(subject: Subject): TenantContext | undefined {
    return subject.anonymous ? this.contexts.internalSubject(subject.key) : this.contexts.tenant(subject.tenantId);
  }

  /** The cached context of a tenant id, if any (never creates one, never validates: only valid ids are stored). */
  knownTenant(tenantId: string): TenantContext | undefined {
    return this.contexts.tenant(tenantId);
  }

  /** A context for a validated tenant that is not tracked (status reads must not fill the cache). */
  untracked(tenantId: string): TenantContext {
    return this.contexts.tenant(tenantId) ?? newContext(tenantSubject(this.validId(tenantId)));
  }

  values(): IterableIterator<TenantContext> {
    return this.contexts.values();
  }

  /** Every store key of a subject: its buckets (default, route rules, ones seen) and leases. */
  keysOf(subject: Subject, routeBuckets: readonly string[]): string[] {
    const ctx = this.known(subject);
    const buckets = new Set(['default', ...routeBuckets, ...(ctx?.buckets?.keys() ?? [])]);
    return [...[...buckets].map((b) => bucketKey(subject, b)), ctx ? leaseKeyOf(ctx) : `${subject.key}:c`];
  }
}

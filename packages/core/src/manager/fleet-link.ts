import { unref } from '../clock.js';
import type { ResolvedManagerConfig } from '../config/resolve-manager.js';
import { StoreUnavailableError } from '../errors.js';
import type { FleetEvent, FleetSync } from '../store/fleet.js';
import type { RateLimitStore } from '../store/types.js';
import { tenantIdProblem } from '../tenant/tenant-id.js';
import { type Overrides, overrideIssues } from './overrides.js';
import type { QuotaLeases } from './quota-leases.js';
import { tenantSubject } from './subject.js';
import type { SubjectRegistry } from './subject-registry.js';
import type { TierCache } from './tier-cache.js';

/** Everything a fleet event or change touches on this instance. */
export interface FleetLinkDeps {
  readonly config: ResolvedManagerConfig;
  readonly store: RateLimitStore;
  readonly overrides: Overrides;
  readonly tiers: TierCache;
  readonly subjects: SubjectRegistry;
  readonly routeBuckets: readonly string[];
  readonly leases: QuotaLeases;
  readonly isClosed: () => boolean;
}

/**
 * This instance's side of fleet-wide state (a shared store's {@link FleetSync}): loads the stored
 * overrides at start (retrying in the background while the store is away), applies changes any
 * instance announces, and announces this instance's own. Without a fleet every method is a no-op.
 */
export class FleetLink {
  /** Resolves after the first attempt to load the fleet's overrides (at once without a fleet). */
  readonly ready: Promise<void>;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    private readonly fleet: FleetSync | undefined,
    private readonly deps: FleetLinkDeps,
  ) {
    if (fleet) {
      this.unsubscribe = fleet.subscribe((event) => void this.apply(event));
      this.ready = this.loadOverrides(fleet);
    } else {
      this.ready = Promise.resolve();
    }
  }

  /** Announces an override change; rejects with {@link StoreUnavailableError} when the fleet could not be told. */
  saveOverride(tenantId: string, override: Parameters<FleetSync['saveOverride']>[1]): Promise<void> {
    return this.tell(() => this.fleet?.saveOverride(tenantId, override));
  }

  /** Announces a reset; rejects with {@link StoreUnavailableError} when the fleet could not be told. */
  publishReset(tenantId: string): Promise<void> {
    return this.tell(() => this.fleet?.publishReset(tenantId));
  }

  /** Drops local caches (blocked-until answers, fallback buckets) that may contradict a quota change or reset. */
  async clearLocalState(tenantId: string): Promise<void> {
    const { store, subjects, routeBuckets, leases } = this.deps;
    // Leased tokens were taken under the old quota (or before a reset): dropped, not spent.
    const lease = subjects.knownTenant(tenantId)?.quotaLease;
    if (lease !== undefined) leases.revoke(lease);
    if (!store.clearLocal) return;
    const clear = store.clearLocal.bind(store);
    await Promise.all(subjects.keysOf(tenantSubject(tenantId), routeBuckets).map(clear)).catch(() => {});
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Applies a change announced by some instance of the fleet (this one included). */
  private async apply(event: FleetEvent): Promise<void> {
    const { config, overrides, tiers, subjects, store, routeBuckets } = this.deps;
    if (tenantIdProblem(event.tenantId, config.tenantIdRules) !== undefined) return;
    if (event.type === 'override') {
      if (event.override) {
        if (!this.accept(event.tenantId, event.override)) return;
        overrides.set(event.tenantId, event.override);
      } else overrides.delete(event.tenantId);
    } else {
      tiers.forget(event.tenantId);
      // The instance that reset only knows the buckets it has used; each instance deletes the
      // ones it knows too (idempotent), so buckets named only elsewhere are reset as well.
      await Promise.all(subjects.keysOf(tenantSubject(event.tenantId), routeBuckets).map((key) => store.reset(key))).catch((err: unknown) =>
        config.logger.warn({ err, tenantId: event.tenantId }, 'could not reset buckets this instance knows after a fleet reset'),
      );
    }
    await this.clearLocalState(event.tenantId);
  }

  /**
   * Loads the fleet's stored overrides. Resolves after the first attempt, so a Redis that is
   * down at boot never holds start-up; failed attempts are retried every 5 s in the background.
   */
  private loadOverrides(fleet: FleetSync): Promise<void> {
    const { config, overrides } = this.deps;
    const attempt = (first: boolean): Promise<void> =>
      fleet.loadOverrides().then(
        (stored) => {
          for (const [id, quota] of Object.entries(stored)) {
            if (tenantIdProblem(id, config.tenantIdRules) === undefined && this.accept(id, quota)) overrides.set(id, quota);
          }
          overrides.invalidate();
          if (!first) config.logger.info({ count: Object.keys(stored).length }, 'fleet-wide overrides loaded');
        },
        (err: unknown) => {
          if (first) config.logger.warn({ err }, 'could not load fleet-wide overrides yet; retrying every 5 s');
          if (this.deps.isClosed()) return;
          const timer = config.timers.setTimeout(() => {
            if (!this.deps.isClosed()) void attempt(false);
          }, 5_000);
          unref(timer);
        },
      );
    return attempt(true);
  }

  /**
   * An override read from the shared store is validated like one set here: another instance (an
   * older version, or anyone with write access to Redis) may have stored one this version refuses,
   * and an invalid quota must never reach a store call.
   */
  private accept(tenantId: string, quota: unknown): boolean {
    const issues = overrideIssues(quota, this.deps.config.tiers);
    if (issues.length === 0) return true;
    this.deps.config.logger.warn({ tenantId, issues }, 'ignoring an invalid fleet-wide override stored in the shared store');
    return false;
  }

  private async tell(send: () => Promise<void> | undefined): Promise<void> {
    try {
      await send();
    } catch (error) {
      throw new StoreUnavailableError('the change applies on this instance but could not be shared with the fleet', { cause: error });
    }
  }
}

import { randomBytes } from 'node:crypto';
import type { TenantOverride } from '@aurum/ratelimit-core';
import {
  type Clock,
  type FleetEvent,
  type FleetLoadSnapshot,
  type FleetSync,
  type Logger,
  type SeenTenant,
  systemClock,
  type Timers,
  unref,
} from '@aurum/ratelimit-core/store';
import type { RedisClient } from './client.js';
import { FLEET_LOAD_LUA, LIST_SEEN_AFTER_LUA, PUBLISH_LUA, RECORD_SEEN_LUA } from './lua/fleet.js';
import { LuaScript } from './script.js';

const PUBLISH = new LuaScript(PUBLISH_LUA);
const RECORD_SEEN = new LuaScript(RECORD_SEEN_LUA);
const FLEET_LOAD = new LuaScript(FLEET_LOAD_LUA);
const LIST_SEEN_AFTER = new LuaScript(LIST_SEEN_AFTER_LUA);

/** Tuning of the fleet-wide state kept in Redis. */
export interface FleetOptions {
  /** How often each instance reads the event stream, in ms. @default 250 */
  pollIntervalMs?: number;
  /** How often seen tenants are written to the index, in ms. @default 1000 */
  flushIntervalMs?: number;
  /** Tenants kept in the fleet-wide index (most recent): tenant listings (`GET /tenants`) show no more. @default 10000 */
  maxTenants?: number;
  /** TTL of the override hash, event stream and index, refreshed on every write, in ms. @default 30 days */
  ttlMs?: number;
}

/**
 * Overrides, resets, the tenant index and fleet load shared by every instance through Redis.
 * Changes are written to a hash plus a capped stream; each instance polls the stream (one XREAD
 * per interval), so a change made anywhere applies everywhere within `pollIntervalMs`. Load goes
 * to one hash whose fields carry their own timestamps (see FLEET_LOAD_LUA).
 */
export class RedisFleetSync implements FleetSync {
  /** This instance's field in the fleet load hash: pid plus random bytes, unique per store. */
  readonly instanceId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly overridesKey: string;
  private readonly eventsKey: string;
  private readonly tenantsKey: string;
  private readonly loadKey: string;
  private loadSnapshot: FleetLoadSnapshot | undefined;
  /** Clock time of the last successful load publish, and its TTL. */
  private loadReadAt = 0;
  private loadTtlMs = 0;
  private loadPublished = false;
  private readonly listeners = new Set<(event: FleetEvent) => void>();
  private readonly pendingSeen = new Map<string, number>();
  private readonly pollIntervalMs: number;
  private readonly flushIntervalMs: number;
  private readonly maxTenants: number;
  private readonly ttlMs: number;
  private lastId: string | undefined;
  private pollTimer: unknown;
  private flushTimer: unknown;
  private polling = false;
  private ttlRefreshedAt = 0;
  private closed = false;

  constructor(
    private readonly client: RedisClient,
    prefix: string,
    options: FleetOptions,
    private readonly timers: Timers,
    private readonly logger: Logger,
    /** Local time for TTL bookkeeping (the stream and load entries carry Redis time). */
    private readonly clock: Clock = systemClock,
  ) {
    this.overridesKey = `${prefix}{meta}:overrides`;
    this.eventsKey = `${prefix}{meta}:events`;
    this.tenantsKey = `${prefix}{meta}:tenants`;
    this.loadKey = `${prefix}{meta}:load`;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxTenants = options.maxTenants ?? 10_000;
    this.ttlMs = options.ttlMs ?? 30 * 24 * 3600 * 1000;
  }

  async loadOverrides(): Promise<Record<string, TenantOverride<string>>> {
    await this.connected(2_000);
    await this.ensureCursor();
    const raw = await this.client.hgetall(this.overridesKey);
    const out: Record<string, TenantOverride<string>> = {};
    for (const [tenantId, json] of Object.entries(raw)) {
      try {
        out[tenantId] = JSON.parse(json) as TenantOverride<string>;
      } catch {
        this.logger.warn({ tenantId }, 'ignoring an unreadable override stored in Redis');
      }
    }
    return out;
  }

  async saveOverride(tenantId: string, override: TenantOverride<string> | null): Promise<void> {
    await PUBLISH.run(this.client, [this.overridesKey, this.eventsKey], ['override', tenantId, override ? JSON.stringify(override) : '', this.ttlMs, 1000]);
  }

  async publishReset(tenantId: string): Promise<void> {
    await PUBLISH.run(this.client, [this.overridesKey, this.eventsKey], ['reset', tenantId, '', this.ttlMs, 1000]);
  }

  subscribe(listener: (event: FleetEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.pollTimer === undefined && !this.closed) {
      this.pollTimer = this.timers.setInterval(() => void this.poll(), this.pollIntervalMs);
      unref(this.pollTimer);
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  recordSeen(tenantId: string, _tier: string, at: number): void {
    if (this.closed) return;
    this.pendingSeen.set(tenantId, at);
    if (this.flushTimer === undefined) {
      this.flushTimer = this.timers.setTimeout(() => void this.flushSeen(), this.flushIntervalMs);
      unref(this.flushTimer);
    }
  }

  async listSeen(limit: number): Promise<SeenTenant[]> {
    await this.flushSeen();
    return seenFrom(await this.client.zrevrange(this.tenantsKey, 0, Math.max(0, limit - 1), 'WITHSCORES'));
  }

  /** One round trip (LIST_SEEN_AFTER_LUA), after writing this instance's pending sightings. */
  async listSeenAfter(after: SeenTenant, limit: number): Promise<SeenTenant[]> {
    await this.flushSeen();
    const reply = (await LIST_SEEN_AFTER.run(this.client, [this.tenantsKey], [String(after.lastSeen), after.tenantId, limit])) as string[][];
    const [page = [], tied] = reply;
    if (tied === undefined) return seenFrom(page);
    // The cursor's member moved or left: of the members tied at its score, those below it come
    // first. JavaScript's string order is Redis's byte order here: tenant ids are ASCII.
    const out: SeenTenant[] = [];
    for (const tenantId of tied) if (tenantId < after.tenantId && out.length < limit) out.push({ tenantId, lastSeen: after.lastSeen });
    for (const seen of seenFrom(page)) if (out.length < limit) out.push(seen);
    return out;
  }

  async lastSeen(tenantId: string): Promise<number | undefined> {
    await this.flushSeen();
    const score = await this.client.zscore(this.tenantsKey, tenantId);
    return score === null ? undefined : Number(score);
  }

  /**
   * Publishes this instance's load and reads every live instance's, in one EVALSHA. On failure
   * the last snapshot is kept until its TTL runs out, then {@link fleetLoad} reads `undefined`
   * (the manager falls back to this instance's own load).
   */
  async publishLoad(load: number, ttlMs: number): Promise<void> {
    if (this.closed) return;
    const now = this.clock.now();
    this.loadPublished = true;
    try {
      const flat = (await FLEET_LOAD.run(this.client, [this.loadKey], [this.instanceId, String(load), Math.ceil(ttlMs)])) as string[];
      let sum = 0;
      let max = 0;
      let instances = 0;
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const value = Number(flat[i + 1]);
        if (!Number.isFinite(value)) continue;
        sum += value;
        if (value > max) max = value;
        instances++;
      }
      this.loadSnapshot = instances > 0 ? { mean: sum / instances, max, instances } : undefined;
      this.loadReadAt = now;
      this.loadTtlMs = ttlMs;
    } catch (err) {
      if (now - this.loadReadAt > ttlMs) this.loadSnapshot = undefined;
      throw err;
    }
  }

  fleetLoad(): FleetLoadSnapshot | undefined {
    // A reading older than its TTL (publishes hanging or failing) no longer describes the fleet.
    if (this.loadSnapshot !== undefined && this.clock.now() - this.loadReadAt > this.loadTtlMs) this.loadSnapshot = undefined;
    return this.loadSnapshot;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer !== undefined) this.timers.clearInterval(this.pollTimer);
    if (this.flushTimer !== undefined) this.timers.clearTimeout(this.flushTimer);
    this.listeners.clear();
    this.loadSnapshot = undefined;
    // A stopped instance leaves the fleet's load at once instead of counting until its TTL ends.
    const withdraw = this.loadPublished
      ? FLEET_LOAD.run(this.client, [this.loadKey], [this.instanceId, '', Math.ceil(this.loadTtlMs) || 60_000]).catch(() => {})
      : undefined;
    await Promise.all([this.flushSeen().catch(() => {}), withdraw]);
  }

  /** Writes the batch of seen tenants; failures drop the batch (the index is best effort). */
  private async flushSeen(): Promise<void> {
    this.flushTimer = undefined;
    if (this.pendingSeen.size === 0) return;
    const args: Array<string | number> = [this.maxTenants, this.ttlMs];
    for (const [tenantId, at] of this.pendingSeen) args.push(Math.round(at), tenantId);
    this.pendingSeen.clear();
    try {
      await RECORD_SEEN.run(this.client, [this.tenantsKey], args);
    } catch (err) {
      this.logger.debug({ err }, 'could not update the fleet tenant index');
    }
  }

  /** Waits (bounded) for the first connection, so start-up does not fail a read it could have made. */
  private async connected(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.timers.clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = this.timers.setTimeout(done, timeoutMs);
      this.client.once('ready', done);
    });
  }

  /** Remembers where the stream ends now, so only later events are delivered. */
  private async ensureCursor(): Promise<void> {
    if (this.lastId !== undefined) return;
    const last = (await this.client.xrevrange(this.eventsKey, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    this.lastId ??= last[0]?.[0] ?? '0-0';
  }

  /**
   * Keeps the override hash and event stream alive while any instance runs: their TTL is
   * otherwise refreshed only by changes, and an untouched override would expire after ttlMs.
   */
  private async refreshTtl(): Promise<void> {
    const now = this.clock.now();
    if (now - this.ttlRefreshedAt < Math.min(3_600_000, this.ttlMs / 4)) return;
    this.ttlRefreshedAt = now;
    await Promise.all([this.client.pexpire(this.overridesKey, this.ttlMs), this.client.pexpire(this.eventsKey, this.ttlMs)]);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      await this.ensureCursor();
      await this.refreshTtl();
      const reply = (await this.client.xread('COUNT', 500, 'STREAMS', this.eventsKey, this.lastId as string)) as Array<
        [string, Array<[string, string[]]>]
      > | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.lastId = id;
          const event = toEvent(fields);
          if (event) for (const listener of this.listeners) listener(event);
        }
      }
    } catch (err) {
      this.logger.debug({ err }, 'fleet event poll failed; retrying');
    } finally {
      this.polling = false;
    }
  }
}

/** Index entries from a flat `member, score, …` reply. */
function seenFrom(flat: readonly string[]): SeenTenant[] {
  const out: SeenTenant[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ tenantId: flat[i] as string, lastSeen: Number(flat[i + 1]) });
  return out;
}

function toEvent(fields: string[]): FleetEvent | undefined {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  if (!f.tenant) return undefined;
  if (f.type === 'reset') return { type: 'reset', tenantId: f.tenant };
  if (f.type !== 'override') return undefined;
  try {
    return { type: 'override', tenantId: f.tenant, override: f.data ? (JSON.parse(f.data) as TenantOverride<string>) : null };
  } catch {
    return undefined;
  }
}

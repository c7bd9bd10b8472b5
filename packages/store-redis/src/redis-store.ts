import { randomBytes } from 'node:crypto';
import { RateLimitConfigError } from '@aurum/ratelimit-core';
import {
  type AdmitRequest,
  type AdmitResult,
  assertValidAdmitRequest,
  assertValidLease,
  assertValidRequest,
  type BucketPolicy,
  type BucketSnapshot,
  type Clock,
  type ConsumeResult,
  emissionIntervalUs,
  gcraConsume,
  gcraSnapshot,
  type LeaseResult,
  type Logger,
  type RateLimitStore,
  silentLogger,
  systemClock,
  systemTimers,
  type Timers,
} from '@aurum/ratelimit-core/store';
import { ConnectionWatch, type RedisClient } from './client.js';
import { type FleetOptions, RedisFleetSync } from './fleet-sync.js';
import { CONSUME_ACQUIRE_LUA, CONSUME_LUA, INSPECT_LUA } from './lua/consume.js';
import { ACQUIRE_LUA, COUNT_LEASES_LUA } from './lua/leases.js';
import { LuaScript } from './script.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster`. Recommended: `enableOfflineQueue: false` (see createRedisStoreFromUrl). */
  client: RedisClient;
  /** Prefix of every key. @default 'aurum:rl:' */
  keyPrefix?: string;
  /**
   * Tests only: take time from this clock instead of the Redis server's `TIME`. In production
   * leave it unset, so instances with skewed clocks still agree.
   */
  clock?: Clock;
  /** Fleet-wide overrides, resets and tenant index; `false` turns them off. @default {} */
  fleet?: FleetOptions | false;
  /** Quit the client on `close()`. @default false (true from createRedisStoreFromUrl) */
  ownsClient?: boolean;
  logger?: Logger;
  timers?: Timers;
}

export const SCRIPTS = {
  consume: new LuaScript(CONSUME_LUA),
  consumeAcquire: new LuaScript(CONSUME_ACQUIRE_LUA),
  inspect: new LuaScript(INSPECT_LUA),
  acquire: new LuaScript(ACQUIRE_LUA),
  countLeases: new LuaScript(COUNT_LEASES_LUA),
} as const;

const DEFAULT_PREFIX = 'aurum:rl:';

/**
 * Redis store: one EVALSHA round trip per decision, on the server's clock, with the core's
 * exact GCRA arithmetic. Keys are `<prefix>{tenant}:…`, so a tenant's keys share a Cluster slot,
 * and every key carries a TTL.
 */
export class RedisStore implements RateLimitStore {
  readonly name = 'redis';
  readonly client: RedisClient;
  readonly keyPrefix: string;
  /** Fleet-wide state, unless disabled. */
  readonly fleet: RedisFleetSync | undefined;
  private readonly testClock: Clock | undefined;
  private readonly timers: Timers;
  private readonly watch: ConnectionWatch;
  private readonly ownsClient: boolean;
  private readonly leasePrefix = randomBytes(6).toString('hex');
  private leaseSeq = 0;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
    const issues = [];
    if (!options.client || typeof (options.client as { evalsha?: unknown }).evalsha !== 'function') {
      issues.push({ key: 'client', message: 'must be an ioredis Redis or Cluster instance' });
    }
    if (typeof prefix !== 'string' || /[{}\s]/.test(prefix)) issues.push({ key: 'keyPrefix', message: 'must be a string without braces or whitespace' });
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    this.client = options.client;
    this.keyPrefix = prefix;
    this.testClock = options.clock;
    this.timers = options.timers ?? systemTimers;
    this.ownsClient = options.ownsClient ?? false;
    const logger = options.logger ?? silentLogger;
    this.watch = new ConnectionWatch(this.client);
    // A listener also keeps ioredis from printing "Unhandled error event" for every reconnect.
    this.client.on('error', (err: unknown) => logger.debug({ err }, 'redis connection error'));
    if ((this.client as { options?: { enableOfflineQueue?: boolean } }).options?.enableOfflineQueue !== false) {
      logger.warn({}, 'ioredis offline queue is enabled: commands queue while Redis is away; prefer enableOfflineQueue: false');
    }
    this.fleet =
      options.fleet === false ? undefined : new RedisFleetSync(this.client, prefix, options.fleet ?? {}, this.timers, logger, options.clock ?? systemClock);
  }

  /** True while the first connection is still being made (requests then use the fallback uncounted). */
  isStarting(): boolean {
    return this.watch.starting;
  }

  /** Resolves once the first connection is made; rejects when it fails first. */
  whenConnected(): Promise<void> {
    return this.watch.firstConnection;
  }

  /**
   * Calls `listener` whenever the client is ready again after losing its connection (a dropped
   * connection, a failover, a Redis restart), not on the first connect; returns an unsubscribe
   * function. The resilient wrapper uses it to probe an open breaker at once.
   */
  onReconnect(listener: () => void): () => void {
    return this.watch.onReconnect(listener);
  }

  async consume(key: string, policy: BucketPolicy, cost: number): Promise<ConsumeResult> {
    assertValidRequest(policy, cost);
    const reply = (await SCRIPTS.consume.run(this.client, [this.keyPrefix + key], [emissionIntervalUs(policy.rate), policy.burst, cost, this.now()])) as [
      number,
      number,
      number,
    ];
    // The script decided atomically; the same core math turns (TAT, now) into the numbers.
    const { result } = gcraConsume(Number(reply[1]), Number(reply[2]), policy, cost);
    return result;
  }

  async inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    assertValidRequest(policy, 1);
    const reply = (await SCRIPTS.inspect.run(this.client, [this.keyPrefix + key], [this.now()])) as [number, number];
    const tat = Number(reply[0]);
    return gcraSnapshot(tat === 0 ? undefined : tat, Number(reply[1]), policy);
  }

  /** A decision and, when it allows (or `leaseAlways`), a lease: one script, one round trip. */
  async consumeAndAcquire(request: AdmitRequest): Promise<AdmitResult> {
    assertValidAdmitRequest(request);
    const { key, policy, cost, leaseKey, limit, leaseMs, leaseAlways } = request;
    const leaseId = this.nextLeaseId();
    const reply = (await SCRIPTS.consumeAcquire.run(
      this.client,
      [this.keyPrefix + key, this.leaseKey(leaseKey)],
      [emissionIntervalUs(policy.rate), policy.burst, cost, this.now(), limit, leaseMs, leaseId, leaseAlways ? '1' : '0'],
    )) as number[];
    const { result } = gcraConsume(Number(reply[1]), Number(reply[2]), policy, cost);
    const taken = Number(reply[3]);
    const active = Number(reply[4]);
    const lease = taken < 0 ? undefined : taken === 1 ? { allowed: true, active, limit, leaseId } : { allowed: false, active, limit };
    return { decision: result, lease };
  }

  async acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    assertValidLease(limit, leaseMs);
    const leaseId = this.nextLeaseId();
    const [allowed, active] = ((await SCRIPTS.acquire.run(this.client, [this.leaseKey(key)], [limit, leaseMs, leaseId, this.now()])) as number[]).map(
      Number,
    ) as [number, number];
    return allowed === 1 ? { allowed: true, active, limit, leaseId } : { allowed: false, active, limit };
  }

  async release(key: string, leaseId: string): Promise<void> {
    await this.client.zrem(this.leaseKey(key), leaseId);
  }

  async countLeases(key: string): Promise<number> {
    return Number(await SCRIPTS.countLeases.run(this.client, [this.leaseKey(key)], [this.now()]));
  }

  async reset(key: string): Promise<void> {
    // Same hash tag, same slot: one DEL is fine on a Cluster.
    await this.client.del(this.keyPrefix + key, this.leaseKey(key));
  }

  /** Resolves once the client is connected and ready; rejects after `timeoutMs`. */
  async waitForConnection(timeoutMs = 5_000): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${this.client.status})`));
      }, timeoutMs);
      const onReady = () => {
        this.timers.clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch.dispose();
    await this.fleet?.close();
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }

  private nextLeaseId(): string {
    return `${this.leasePrefix}-${(++this.leaseSeq).toString(36)}`;
  }

  /** Leases live beside the bucket, under the same hash tag. */
  private leaseKey(key: string): string {
    return `${this.keyPrefix}${key}:leases`;
  }

  private now(): string {
    return this.testClock ? String(Math.round(this.testClock.now() * 1000)) : '';
  }
}

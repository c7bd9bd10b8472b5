import { randomBytes } from 'node:crypto';
import { type ConfigIssue, InvalidArgumentError, RateLimitConfigError } from '@aurum/ratelimit-core';
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
  gcraSnapshot,
  gcraTakeUpTo,
  type LeaseResult,
  type Logger,
  type RateLimitStore,
  silentLogger,
  systemClock,
  systemTimers,
  type TakeResult,
  type Timers,
} from '@aurum/ratelimit-core/store';
import { DecisionBatcher } from './batcher.js';
import { ConnectionWatch, type RedisClient } from './client.js';
import { runBatch, runOne } from './decision-calls.js';
import { type FleetOptions, RedisFleetSync } from './fleet-sync.js';
import { policyArgs } from './policy-args.js';
import type { QueuedDecision } from './queued-decision.js';
import { SCRIPTS } from './scripts.js';
import { slotGrouping } from './slots.js';

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
  /**
   * Decide the decisions waiting for Redis at the same moment in one script call (one per Cluster
   * hash slot), in arrival order, each exactly as on its own: `true`, `false` for one call per
   * decision, or `{ maxSize }` for the most decisions per call (a full batch goes at once).
   * A lone decision is never delayed: a batch goes at the end of the current event-loop turn.
   * @default true (maxSize 256)
   */
  batch?: boolean | { maxSize?: number };
  logger?: Logger;
  timers?: Timers;
}

const DEFAULT_PREFIX = 'aurum:rl:';
const DEFAULT_BATCH_SIZE = 256;
/** Keeps one script call's arguments (up to 7 per decision) far below Lua's stack limits. */
const MAX_BATCH_SIZE = 4096;

/**
 * Redis store: decisions on the server's clock with the core's exact GCRA arithmetic, one EVALSHA
 * for all the decisions waiting at the same moment (per Cluster slot), or one per decision with
 * `batch: false`. Keys are `<prefix>{tenant}:…`, so a tenant's keys share a Cluster slot, and
 * every key carries a TTL.
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
  /** Gathers concurrent decisions into one script call; absent with `batch: false`. */
  private readonly batcher: DecisionBatcher | undefined;
  private readonly leasePrefix = randomBytes(6).toString('hex');
  private leaseSeq = 0;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
    const issues: ConfigIssue[] = [];
    const batchSize = checkBatch(options.batch, issues);
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
    this.batcher = batchSize === 0 ? undefined : new DecisionBatcher((batch) => this.send(batch), batchSize, slotGrouping(this.client));
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

  consume(key: string, policy: BucketPolicy, cost: number): Promise<ConsumeResult> {
    try {
      assertValidRequest(policy, cost);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.decide(this.keyPrefix + key, policy, cost, undefined) as Promise<ConsumeResult>;
  }

  async inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    assertValidRequest(policy, 1);
    const reply = (await SCRIPTS.inspect.run(this.client, [this.keyPrefix + key], [this.now()])) as [number, number];
    const tat = Number(reply[0]);
    return gcraSnapshot(tat === 0 ? undefined : tat, Number(reply[1]), policy);
  }

  /** A decision and, when it allows (or `leaseAlways`), a lease: one script, one round trip. */
  consumeAndAcquire(request: AdmitRequest): Promise<AdmitResult> {
    try {
      assertValidAdmitRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const { key, policy, cost, leaseKey, limit, leaseMs, leaseAlways } = request;
    const lease = { key: this.leaseKey(leaseKey), limit, leaseMs, leaseId: this.nextLeaseId(), always: leaseAlways };
    return this.decide(this.keyPrefix + key, policy, cost, lease) as Promise<AdmitResult>;
  }

  /** Queues a decision for the next batch, or runs it on its own without batching. */
  private decide(key: string, policy: BucketPolicy, cost: number, lease: QueuedDecision['lease']): Promise<ConsumeResult | AdmitResult> {
    return new Promise((resolve, reject) => {
      const d: QueuedDecision = { key, policy, args: policyArgs(policy), cost, lease, now: this.now(), resolve, reject };
      if (this.batcher === undefined) void runOne(this.client, d);
      else this.batcher.add(d);
    });
  }

  /** One script call for a batch; a lone decision runs the single-decision script, as unbatched. */
  private send(batch: QueuedDecision[]): void {
    if (batch.length === 1) void runOne(this.client, batch[0] as QueuedDecision);
    else void runBatch(this.client, batch);
  }

  /**
   * Takes as many tokens as the bucket at `key` holds, up to `max` and at least `min` (else none:
   * the answer is then a consume of `min`, denied) — how a manager leases a hot tenant's tokens.
   * One script call on the Redis clock, the same decision as the memory store's (core's
   * `gcraTakeUpTo`), bit for bit. Not batched: a take happens once per lease and tenant, not per
   * request, so it goes out at once as its own EVALSHA (decisions queued for the next batch at
   * that moment are decided after it).
   * @throws InvalidArgumentError when the policy, `min` or `max` is outside the algorithm's domain
   */
  async takeUpTo(key: string, policy: BucketPolicy, min: number, max: number): Promise<TakeResult> {
    assertValidRequest(policy, min);
    if (!(Number.isSafeInteger(max) && max >= min)) throw new InvalidArgumentError(`max must be a whole number >= min (${min}), got ${String(max)}`);
    const args = policyArgs(policy);
    const reply = (await SCRIPTS.takeUpTo.run(this.client, [this.keyPrefix + key], [args.intervalArg, args.burstArg, min, max, this.now()])) as number[];
    return gcraTakeUpTo(Number(reply[0]), Number(reply[1]), policy, min, max);
  }

  /**
   * Gives `cost` tokens back to the bucket at `key`: its TAT moves back by `cost` emission
   * intervals of `policy`, never past a full bucket — the exact inverse of an allowed `consume`
   * of the same cost and policy, as the memory store's (core's `gcraRefund`). A missing or full
   * bucket is left as it is. One script call on the Redis clock, so it is atomic with every
   * decision on the key (Cluster included: one key, one slot). Not batched: refunds are rare
   * (a failed request, a quota lease's unspent tokens), and a refund does not wait for the
   * decisions queued before it.
   * @throws InvalidArgumentError when the policy or cost is outside the algorithm's domain
   */
  async refund(key: string, policy: BucketPolicy, cost: number): Promise<void> {
    assertValidRequest(policy, cost);
    await SCRIPTS.refund.run(this.client, [this.keyPrefix + key], [policyArgs(policy).intervalArg, cost, this.now()]);
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

/** The batch size `option` asks for (0: no batching), or an issue. */
function checkBatch(option: RedisStoreOptions['batch'], issues: ConfigIssue[]): number {
  if (option === undefined || option === true) return DEFAULT_BATCH_SIZE;
  if (option === false) return 0;
  const isObject = typeof option === 'object' && option !== null && Object.keys(option).every((k) => k === 'maxSize');
  const maxSize = isObject ? (option.maxSize ?? DEFAULT_BATCH_SIZE) : undefined;
  if (maxSize !== undefined && Number.isSafeInteger(maxSize) && maxSize >= 1 && maxSize <= MAX_BATCH_SIZE) return maxSize;
  const got = typeof option === 'object' && option !== null ? JSON.stringify(option) : String(option);
  issues.push({ key: 'batch', message: `must be true, false or { maxSize: a whole number in [1, ${MAX_BATCH_SIZE}] }, got ${got}` });
  return 0;
}

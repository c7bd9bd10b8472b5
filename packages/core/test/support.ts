import { performance } from 'node:perf_hooks';
import type { Clock, RateLimitStore, TenantOverride, Tier, Timers } from '../src/index.js';
import type {
  AdmitRequest,
  AdmitResult,
  BucketPolicy,
  BucketSnapshot,
  ConsumeResult,
  FleetEvent,
  FleetLoadSnapshot,
  FleetSync,
  LeaseResult,
  SeenTenant,
} from '../src/store.js';
import { MemoryStore, RateLimitConfigError } from '../src/index.js';

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  constructor(public ms = 1_700_000_000_000) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Timers that never fire on their own: `run()` fires the due ones. */
export class ManualTimers implements Timers {
  private seq = 0;
  readonly pending = new Map<number, { fn: () => void; at: number; every?: number }>();

  constructor(private readonly clock: FakeClock) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { fn, at: this.clock.now() + ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { fn, at: this.clock.now() + ms, every: ms });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Fires every timer due at the current fake time. */
  run(): void {
    for (const [id, t] of [...this.pending]) {
      if (t.at > this.clock.now()) continue;
      if (t.every === undefined) this.pending.delete(id);
      else t.at += t.every;
      t.fn();
    }
  }
}

type Behaviour = 'ok' | 'fail' | 'hang';

/**
 * A primary store for ResilientStore tests: delegates to a MemoryStore while `mode` is `ok`,
 * rejects while `fail`, never settles while `hang`. Counts calls per method.
 */
export class ScriptedStore implements RateLimitStore {
  readonly name = 'scripted';
  mode: Behaviour = 'ok';
  /** When set, thrown (rejected) by every call instead of the mode's behaviour. */
  throwError: unknown;
  readonly calls: Record<string, number> = {};
  readonly inner: MemoryStore;
  /** While true, `isStarting()` says the first connection is still being made. */
  starting = false;
  /** Set to offer `whenConnected()` (as a Redis store does); `connect()` ends the start-up. */
  whenConnected?: () => Promise<void>;
  fleet: FleetSync | undefined;

  constructor(clock: Clock) {
    this.inner = new MemoryStore({ clock, sweepIntervalMs: 0 });
  }

  protected runCombined<T>(fn: () => Promise<T>): Promise<T> {
    return this.run('consumeAndAcquire', fn);
  }

  private run<T>(method: string, fn: () => Promise<T>): Promise<T> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    if (this.throwError !== undefined) return Promise.reject(this.throwError);
    if (this.mode === 'fail') return Promise.reject(new Error(`primary ${method} failed`));
    if (this.mode === 'hang') return new Promise<T>(() => {});
    return fn();
  }

  consume(key: string, policy: BucketPolicy, cost: number): Promise<ConsumeResult> {
    return this.run('consume', () => this.inner.consume(key, policy, cost));
  }
  inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    return this.run('inspect', () => this.inner.inspect(key, policy));
  }
  acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    return this.run('acquire', () => this.inner.acquire(key, limit, leaseMs));
  }
  release(key: string, leaseId: string): Promise<void> {
    return this.run('release', () => this.inner.release(key, leaseId));
  }
  countLeases(key: string): Promise<number> {
    return this.run('countLeases', () => this.inner.countLeases(key));
  }
  reset(key: string): Promise<void> {
    return this.run('reset', () => this.inner.reset(key));
  }
  refund?(key: string, policy: BucketPolicy, cost: number): Promise<void> {
    return this.run('refund', () => this.inner.refund(key, policy, cost));
  }
  ping(): Promise<void> {
    return this.run('ping', () => this.inner.ping());
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  isStarting(): boolean {
    return this.starting;
  }

  /** Starts a cold start: `isStarting()` is true and `whenConnected()` pends until the returned `connect()`. */
  coldStart(): () => void {
    this.starting = true;
    let resolve = () => {};
    const connected = new Promise<void>((r) => {
      resolve = r;
    });
    this.whenConnected = () => connected;
    return () => {
      this.starting = false;
      resolve();
    };
  }
  /** Subscribers of {@link onReconnect}; `reconnected()` calls them. */
  readonly reconnectListeners = new Set<() => void>();
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }
  /** Tells subscribers the connection is back, as a Redis client's later `ready` does. */
  reconnected(): void {
    for (const listener of this.reconnectListeners) listener();
  }
}

/** A {@link ScriptedStore} that also takes a decision and a lease in one call, like the Redis store. */
export class CombinedScriptedStore extends ScriptedStore {
  consumeAndAcquire(request: AdmitRequest): Promise<AdmitResult> {
    return this.runCombined(() => this.inner.consumeAndAcquire(request));
  }
}

/** An in-process {@link FleetSync} several managers can share, with switchable failures. */
export class FakeFleet implements FleetSync {
  readonly overrides = new Map<string, TenantOverride>();
  readonly seen = new Map<string, SeenTenant>();
  readonly published: FleetEvent[] = [];
  /** Calls of listSeen (and, in {@link PagingFleet}, listSeenAfter). */
  readonly listed: Array<{ limit: number; after?: SeenTenant }> = [];
  private readonly listeners = new Set<(event: FleetEvent) => void>();
  failing = false;

  protected check(): void {
    if (this.failing) throw new Error('fleet unavailable');
  }

  async loadOverrides(): Promise<Record<string, TenantOverride>> {
    this.check();
    return Object.fromEntries(this.overrides);
  }

  async saveOverride(tenantId: string, override: TenantOverride | null): Promise<void> {
    this.check();
    if (override) this.overrides.set(tenantId, override);
    else this.overrides.delete(tenantId);
    this.emit({ type: 'override', tenantId, override });
  }

  async publishReset(tenantId: string): Promise<void> {
    this.check();
    this.emit({ type: 'reset', tenantId });
  }

  subscribe(listener: (event: FleetEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recordSeen(tenantId: string, _tier: Tier, at: number): void {
    this.seen.set(tenantId, { tenantId, lastSeen: at });
  }

  async listSeen(limit: number): Promise<SeenTenant[]> {
    this.check();
    this.listed.push({ limit });
    return this.ordered().slice(0, limit);
  }

  /** The index in FleetSync's order: most recent first, ties by tenant id descending. */
  protected ordered(): SeenTenant[] {
    return [...this.seen.values()].sort((a, b) => b.lastSeen - a.lastSeen || (a.tenantId < b.tenantId ? 1 : a.tenantId > b.tenantId ? -1 : 0));
  }

  /** Delivers an event to every subscriber, as another instance's change would arrive. */
  emit(event: FleetEvent): void {
    this.published.push(event);
    for (const listener of this.listeners) listener(event);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

/** A {@link FakeFleet} that pages its index itself, as RedisFleetSync does. */
export class PagingFleet extends FakeFleet {
  async listSeenAfter(after: SeenTenant, limit: number): Promise<SeenTenant[]> {
    this.check();
    this.listed.push({ limit, after });
    const below = (s: SeenTenant) => s.lastSeen < after.lastSeen || (s.lastSeen === after.lastSeen && s.tenantId < after.tenantId);
    return this.ordered().filter(below).slice(0, limit);
  }
}

/**
 * A {@link FakeFleet} that also shares load like RedisFleetSync: every instance built on the same
 * `board` (instance id → load) sees the others' published loads.
 */
export class LoadSharingFleet extends FakeFleet {
  readonly sharedLoads: number[] = [];
  private snapshot: FleetLoadSnapshot | undefined;

  constructor(
    readonly board: Map<string, number>,
    readonly instanceId: string,
  ) {
    super();
  }

  async publishLoad(load: number, _ttlMs: number): Promise<void> {
    this.check();
    this.sharedLoads.push(load);
    this.board.set(this.instanceId, load);
    const loads = [...this.board.values()];
    this.snapshot = { mean: loads.reduce((a, b) => a + b, 0) / loads.length, max: Math.max(...loads), instances: loads.length };
  }

  fleetLoad(): FleetLoadSnapshot | undefined {
    return this.snapshot;
  }
}

/** Collects what a logger is given. */
export function recordingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** The error `fn` throws; fails the test when it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The keys of a RateLimitConfigError's issues (fails when `error` is not one). */
export function issueKeys(error: unknown): string[] {
  if (!(error instanceof RateLimitConfigError)) throw new Error(`expected a RateLimitConfigError, got ${String(error)}`);
  return error.issues.map((i) => i.key);
}

/**
 * Keeps this thread's event loop busy for `ms` of wall-clock time (a synchronous spin: no I/O,
 * no timers run meanwhile). Known event-loop work for the built-in load signals to measure.
 */
export function busyLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** Leaves the event loop idle (waiting in its poll phase) for at least `ms`. */
export function idleLoop(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

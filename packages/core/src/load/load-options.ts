// The load subsystem's options: what users give (`LoadOptions`) and what `LoadControl` runs on
// (`ResolvedLoadConfig`); config/resolve-load.ts turns one into the other.
import type { Tier } from '../tiers.js';

/** A built-in load signal (see docs/load-shedding.md). */
export type BuiltinLoadSignal = 'eventLoopUtilization' | 'eventLoopDelay' | 'inFlight';

/** How quotas follow load. See docs/load-shedding.md. */
export interface LoadOptions<T extends string = Tier> {
  /** Adjust quotas to load at all. @default true */
  enabled?: boolean;
  /**
   * Signals combined by max, each in [0, 1]: built-in names or your own functions (database
   * pool saturation, say). @default ['eventLoopUtilization']
   */
  signals?: Array<BuiltinLoadSignal | (() => number)>;
  /** A signal of your own: alone it replaces the default signal; beside `signals` it is one more. */
  signal?: () => number;
  /** Event-loop delay (mean, ms) that reads as full load for `eventLoopDelay`. @default 100 */
  delayCeilingMs?: number;
  /** Requests in flight that read as full load for `inFlight` (required with it). */
  inFlightCapacity?: number;
  /** Load at or below which quotas are untouched. @default 0.8 */
  threshold?: number;
  /** Multiplier reached at full load before priority is applied. @default 0.1 */
  minFactor?: number;
  /**
   * Lowest multiplier, for every tier or per tier, so nobody is starved; with 0 the curve alone
   * decides (down to `minFactor ^ (1 / priorityBoost)`). Per-tier floors are applied so a higher priority never gets a lower floor. @default 0.05
   */
  floor?: number | { [K in T]?: number };
  /** Milliseconds between samples (an unref'd timer, off the request path). @default 1000 */
  sampleIntervalMs?: number;
  /**
   * Time constant of the moving average over samples, in ms: load must last about this long to
   * count fully, so bursts and pauses do not shed traffic. 0 uses each sample as is. @default 5000
   */
  smoothingMs?: number;
  /**
   * With a shared store (Redis): publish this instance's load and decide on the fleet's mean
   * load instead, so one hot instance does not shed alone and a saturated fleet sheds together.
   * @default false
   */
  fleet?: boolean;
  /** Status of a request denied while quotas are reduced for load. @default 503 */
  shedStatus?: 429 | 503;
  /**
   * An extra, per-process guard: a limit on requests in flight that adapts to latency (AIMD, as
   * in Netflix's concurrency-limits). `true` uses the defaults. Off unless set. See
   * docs/load-shedding.md#adaptive-concurrency. @default false
   */
  adaptiveConcurrency?: boolean | AdaptiveConcurrencyOptions;
}

/**
 * AIMD concurrency limit: each request that completes within `targetLatencyMs` while the limit
 * is at least half used raises the limit by one; a slower one cuts it to `limit × backoff` (at
 * most once per `targetLatencyMs`). A tenant may fill `min(1, priorityBoost)` of the limit, so
 * free traffic (boost 0.5) can take at most half of it.
 */
export interface AdaptiveConcurrencyOptions {
  /** @default 100 (within [minLimit, maxLimit]) */
  initialLimit?: number;
  /** @default 2 */
  minLimit?: number;
  /** @default 1000 */
  maxLimit?: number;
  /** Completion time above which a request counts as a congestion signal, in ms. @default 200 */
  targetLatencyMs?: number;
  /** Multiplier applied on congestion, in (0, 1). @default 0.9 */
  backoff?: number;
}

/** `load` options after env merge, defaults and validation. */
export interface ResolvedLoadConfig {
  enabled: boolean;
  signals: Array<BuiltinLoadSignal | (() => number)>;
  delayCeilingMs: number;
  inFlightCapacity: number | undefined;
  threshold: number;
  minFactor: number;
  /** Per tier name. */
  floor: Record<string, number>;
  sampleIntervalMs: number;
  smoothingMs: number;
  fleet: boolean;
  shedStatus: 429 | 503;
  adaptiveConcurrency: Required<AdaptiveConcurrencyOptions> | false;
}

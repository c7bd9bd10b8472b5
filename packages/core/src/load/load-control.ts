import { performance } from 'node:perf_hooks';
import type { Clock, Timers } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import { type RateLimitObserver, safely } from '../observe/observer.js';
import type { FleetSync } from '../store/fleet.js';
import type { TenantQuotaConfig } from '../tiers.js';
import { floorForBoost, loadFactor } from './adjust.js';
import { AimdLimit } from './aimd.js';
import type { BuiltinLoadSignal, ResolvedLoadConfig } from './load-options.js';
import { LoadMonitor } from './load-monitor.js';
import { eventLoopDelay, eventLoopUtilization, inFlight, type LoadSignal, maxOf } from './signals.js';

/** Fleet load is published on samples, but at most this often (ms): fast sampling must not mean chatty Redis. */
const MIN_PUBLISH_MS = 250;

/** Load as health checks and the admin API report it. */
export interface LoadReport {
  /** This process's smoothed load in [0, 1]. */
  readonly systemLoad: number;
  /** The fleet's mean load with `load.fleet` on and known, else `null`. */
  readonly fleetLoad: number | null;
  /** Instances counted in `fleetLoad`, else `null`. */
  readonly fleetInstances: number | null;
  /** The multiplier each tier's rate and concurrency get now (1 = none). */
  readonly loadFactors: Readonly<Record<string, number>>;
  /** Requests in flight, when counted (the `inFlight` signal or adaptive concurrency), else `null`. */
  readonly inFlight: number | null;
  /** The adaptive concurrency limit when it is on, else `null`. */
  readonly concurrencyLimit: number | null;
}

/** What a {@link LoadControl} needs from its manager. */
export interface LoadControlDeps {
  readonly tiers: Readonly<Record<string, TenantQuotaConfig>>;
  /** The shared store's fleet sync; used only with `load.fleet`. */
  readonly fleet: FleetSync | undefined;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly observer: RateLimitObserver | undefined;
}

/**
 * Everything a manager does about load: samples the signals on an unref'd timer (so the request
 * path only reads numbers), shares the load with the fleet, turns it into factors per priority
 * (see {@link loadFactor}), counts requests in flight, and runs the optional adaptive
 * concurrency limit. {@link stop} ends the timer and the signals.
 */
export class LoadControl {
  /** Requests admitted by the HTTP limiter and not yet released (counted when {@link tracksRequests}). */
  inFlight = 0;
  /** Whether the HTTP limiter must count requests in flight. */
  readonly tracksRequests: boolean;
  /** The adaptive concurrency limit, when on. */
  readonly adaptive: AimdLimit | undefined;
  private readonly monitor: LoadMonitor;
  private readonly floorOf: (priorityBoost: number) => number;
  private readonly stops: Array<() => void> = [];
  private readonly fleet: FleetSync | undefined;
  private publishing = false;
  private publishedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly config: ResolvedLoadConfig,
    private readonly deps: LoadControlDeps,
  ) {
    this.floorOf = floorForBoost(config.floor, deps.tiers);
    this.adaptive = config.adaptiveConcurrency ? new AimdLimit(config.adaptiveConcurrency) : undefined;
    this.tracksRequests = this.adaptive !== undefined || config.signals.includes('inFlight');
    const fleet = config.fleet ? deps.fleet : undefined;
    this.fleet = fleet;
    // Each instance counts for three publish intervals (at least 2 s) after its last publish.
    const ttlMs = Math.max(2_000, 3 * Math.max(config.sampleIntervalMs, MIN_PUBLISH_MS));
    this.monitor = new LoadMonitor(
      maxOf(config.signals.map((s) => this.signal(s))),
      config.sampleIntervalMs,
      deps.clock,
      (load) => this.sampled(load),
      config.smoothingMs,
      fleet?.publishLoad
        ? {
            publish: (load) => this.publish(fleet, load, ttlMs),
            read: () => fleet.fleetLoad?.()?.mean,
          }
        : undefined,
      // Only your own functions read a current state at once; the built-ins measure windows.
      config.signals.every((s) => typeof s === 'function'),
    );
    this.monitor.start(deps.timers);
  }

  /** The load decisions use: the fleet's mean with `load.fleet` (once known), else this process's. */
  get load(): number {
    return this.monitor.load;
  }

  /** This process's smoothed load. */
  get local(): number {
    return this.monitor.local;
  }

  /** The multiplier for a tenant's rate and concurrency now: 1 at or below the threshold. */
  factorFor(priorityBoost: number): number {
    const load = this.monitor.load;
    const { threshold, minFactor } = this.config;
    return load > threshold ? loadFactor(load, threshold, minFactor, priorityBoost, this.floorOf(priorityBoost)) : 1;
  }

  /** The factor of each tier (at the tier's own priorityBoost). */
  tierFactors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [tier, quota] of Object.entries(this.deps.tiers)) out[tier] = this.factorFor(quota.priorityBoost);
    return out;
  }

  report(): LoadReport {
    const fleet = this.fleet?.fleetLoad?.();
    return {
      systemLoad: this.monitor.local,
      fleetLoad: fleet?.mean ?? null,
      fleetInstances: fleet?.instances ?? null,
      loadFactors: this.tierFactors(),
      inFlight: this.tracksRequests ? this.inFlight : null,
      concurrencyLimit: this.adaptive?.limit ?? null,
    };
  }

  /** Whether the adaptive limit lets one more request of this priority start (always without it). */
  admits(priorityBoost: number): boolean {
    return this.adaptive === undefined || this.adaptive.admits(this.inFlight, priorityBoost);
  }

  /** Counts a request as in flight; returns its start time for {@link end} (0 when latency is not needed). */
  begin(): number {
    this.inFlight++;
    return this.adaptive ? performance.now() : 0;
  }

  /** Ends what {@link begin} started; `completed` requests feed the adaptive limit. */
  end(startedAt: number, completed: boolean): void {
    if (completed && this.adaptive) {
      const now = performance.now();
      this.adaptive.onSample(now - startedAt, this.inFlight, now);
    }
    this.inFlight--;
  }

  /** Stops sampling and releases the signals (event-loop delay histogram). Idempotent. */
  stop(): void {
    this.monitor.stop();
    for (const stop of this.stops.splice(0)) stop();
  }

  private signal(signal: BuiltinLoadSignal | (() => number)): LoadSignal {
    if (typeof signal === 'function') return signal;
    if (signal === 'eventLoopDelay') {
      const delay = eventLoopDelay(this.config.delayCeilingMs);
      this.stops.push(() => delay.stop());
      return delay;
    }
    if (signal === 'inFlight') return inFlight(() => this.inFlight, this.config.inFlightCapacity as number);
    return eventLoopUtilization();
  }

  private sampled(local: number): void {
    const observer = this.deps.observer;
    if (observer?.onLoad) safely(() => observer.onLoad?.(local, { effective: this.monitor.load, factors: this.tierFactors() }));
  }

  /** One publish at a time (a slow Redis must not pile up calls), at most every MIN_PUBLISH_MS. */
  private publish(fleet: FleetSync, load: number, ttlMs: number): void {
    const now = this.deps.clock.now();
    if (this.publishing || now - this.publishedAt < MIN_PUBLISH_MS) return;
    this.publishing = true;
    this.publishedAt = now;
    fleet.publishLoad?.(load, ttlMs).then(
      () => {
        this.publishing = false;
      },
      (err: unknown) => {
        this.publishing = false;
        this.deps.logger.debug({ err }, 'could not share load with the fleet; deciding on this instance load until it works');
      },
    );
  }
}

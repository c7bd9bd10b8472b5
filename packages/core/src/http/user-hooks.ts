import type { ResolvedHttpConfig } from '../config/resolve-http.js';
import type { RateLimitManager } from '../manager/manager.js';
import type { LogThrottle } from '../observe/log-throttle.js';
import type { LookupFailure } from '../tenant/tier-resolver.js';
import { TIMED_OUT, within } from '../util/deadline.js';
import type { HttpRequestInfo } from './request-info.js';

/**
 * The user's per-request hooks (`resolveTenant`, `skip`, `cost`), made safe to call on every
 * request: none of them can hang a request, switch limiting off by throwing, or pass a bad cost
 * to the store. Every failure is logged once per interval.
 */
export class UserHooks<Req> {
  constructor(
    private readonly config: ResolvedHttpConfig<Req>,
    private readonly manager: RateLimitManager,
    private readonly logs: LogThrottle,
  ) {}

  /**
   * The `resolveTenant` hook's answer, under the lookup deadline. A hook that throws or does not
   * answer in time counts as "no tenant": the anonymous policy still limits the request, and a
   * stuck authentication backend cannot hang every request. A synchronous hook's answer comes back
   * as it is (no promise, no timer).
   */
  resolveTenant(req: HttpRequestInfo<Req>): string | undefined | null | Promise<string | undefined | null> {
    let answer: string | undefined | null | PromiseLike<string | undefined | null>;
    try {
      answer = this.config.resolveTenant?.(req.raw);
    } catch (error) {
      return this.lookupFailed(req, { lookup: 'resolveTenant', reason: 'error', error });
    }
    if (!isThenable(answer)) return answer;
    const { manager } = this;
    return within(Promise.resolve(answer), manager.config.lookupTimeoutMs, manager.config.timers).then(
      (id) => (id === TIMED_OUT ? this.lookupFailed(req, { lookup: 'resolveTenant', reason: 'timeout' }) : id),
      (error: unknown) => this.lookupFailed(req, { lookup: 'resolveTenant', reason: 'error', error }),
    );
  }

  /**
   * The `skip` hook's answer; a hook that throws (or rejects) skips nothing (the request is
   * limited) and is logged. A synchronous hook's answer comes back as it is.
   */
  skips(req: HttpRequestInfo<Req>): boolean | Promise<boolean> {
    let answer: boolean | PromiseLike<boolean> | undefined;
    try {
      answer = this.config.skip?.(req.raw);
    } catch (err) {
      return this.skipFailed(req, err);
    }
    if (!isThenable(answer)) return answer === true;
    return Promise.resolve(answer).then(
      (skip) => skip === true,
      (err: unknown) => this.skipFailed(req, err),
    );
  }

  /** The `cost` hook's answer; a hook that throws or answers a bad cost is logged and the route's cost applies. */
  costOf(req: HttpRequestInfo<Req>): number | undefined {
    const hook = this.config.cost;
    if (hook === undefined) return undefined;
    let cost: unknown;
    try {
      cost = hook(req.raw);
    } catch (err) {
      this.logs.log('error', 'cost', { err, url: req.url }, 'the cost option threw; using the route cost');
      return undefined;
    }
    if (cost === undefined || (Number.isSafeInteger(cost) && (cost as number) >= 1)) return cost as number | undefined;
    this.logs.log('error', 'cost', { cost, url: req.url }, `the cost option returned ${String(cost)}, not a whole number >= 1; using the route cost`);
    return undefined;
  }

  /** A failed `resolveTenant`: logged (once per interval), reported, and the request treated as anonymous. */
  private lookupFailed(req: HttpRequestInfo<Req>, failure: LookupFailure): undefined {
    const { manager } = this;
    const why = failure.reason === 'timeout' ? `did not answer within ${manager.config.lookupTimeoutMs} ms` : 'threw';
    this.logs.log('warn', `resolveTenant:${failure.reason}`, { err: failure.error, url: req.url }, `resolveTenant ${why}; treating the request as anonymous`);
    manager.lookupFailed(failure);
    return undefined;
  }

  private skipFailed(req: HttpRequestInfo<Req>, err: unknown): false {
    this.logs.log('error', 'skip', { err, url: req.url }, 'the skip option threw; limiting the request');
    return false;
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

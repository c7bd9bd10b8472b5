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
   * stuck authentication backend cannot hang every request.
   */
  async resolveTenant(req: HttpRequestInfo<Req>): Promise<string | undefined | null> {
    const { manager } = this;
    let failure: LookupFailure | undefined;
    try {
      const answer = this.config.resolveTenant?.(req.raw);
      // A synchronous hook needs no timer.
      if (!isThenable(answer)) return answer;
      const id = await within(Promise.resolve(answer), manager.config.lookupTimeoutMs, manager.config.timers);
      if (id !== TIMED_OUT) return id;
      failure = { lookup: 'resolveTenant', reason: 'timeout' };
    } catch (error) {
      failure = { lookup: 'resolveTenant', reason: 'error', error };
    }
    const why = failure.reason === 'timeout' ? `did not answer within ${manager.config.lookupTimeoutMs} ms` : 'threw';
    this.logs.log('warn', `resolveTenant:${failure.reason}`, { err: failure.error, url: req.url }, `resolveTenant ${why}; treating the request as anonymous`);
    manager.lookupFailed(failure);
    return undefined;
  }

  /** The `skip` hook's answer; a hook that throws skips nothing (the request is limited) and is logged. */
  async skips(req: HttpRequestInfo<Req>): Promise<boolean> {
    try {
      return (await this.config.skip?.(req.raw)) === true;
    } catch (err) {
      this.logs.log('error', 'skip', { err, url: req.url }, 'the skip option threw; limiting the request');
      return false;
    }
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
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

import { AdminHandler } from '../admin/admin-handler.js';
import type { AdminHttpRequest } from '../admin/admin-handler.js';
import { checkKnownKeys, Issues } from '../config/checks.js';
import { MANAGER_OPTION_KEYS } from '../manager/manager-options.js';
import { HTTP_OPTION_KEYS } from './http-options.js';
import type { TenantQuotaConfig } from '../tiers.js';
import type { AnyRateLimitOptions, RateLimitOptions } from './rate-limit-options.js';
import { type ResolvedHttpConfig, resolveHttpConfig } from '../config/resolve-http.js';
import { InvalidTenantError, isAurumError, RateLimitConfigError } from '../errors.js';
import type { LoadControl } from '../load/load-control.js';
import { LogThrottle } from '../observe/log-throttle.js';
import type { ConcurrencySlot, RateLimitDecision } from '../manager/decision.js';
import { RateLimitManager } from '../manager/manager.js';
import type { CheckOptions } from '../manager/reports.js';
import type { Subject } from '../manager/subject.js';
import { clientAddress } from '../tenant/client-address.js';
import { tenantFromHeaders } from '../tenant/identify.js';
import { ipGroup } from '../tenant/ip.js';
import { CONCURRENCY_RETRY_AFTER, concurrencyHeaders, rateLimitHeaders } from './headers.js';
import { inFlightRelease } from './in-flight.js';
import type { HttpResponse, ProblemKind } from './problem.js';
import { limitRefusal } from './limit-refusal.js';
import { type RateLimitInfo, rateLimitInfo } from './rate-limit-info.js';
import { refusal } from './refusal.js';
import { responseCounter } from './response-counting.js';
import type { HttpOutcome, HttpRequestInfo } from './request-info.js';
import { UserHooks } from './user-hooks.js';

export type { HttpOutcome, HttpRequestInfo } from './request-info.js';

const CONTINUE: HttpOutcome = Object.freeze({ action: 'continue', headers: {} });

/**
 * Everything between a framework request and a rate-limit answer: tenant identification,
 * anonymous policy, the decision, concurrency slots, headers and problem bodies. Adapters only
 * translate their request into {@link HttpRequestInfo} and write the {@link HttpOutcome}.
 */
export class HttpRateLimiter<Req = unknown> {
  readonly manager: RateLimitManager<string>;
  readonly config: ResolvedHttpConfig<Req>;
  /** The admin API, unless disabled with `admin: false`. */
  readonly admin: AdminHandler | undefined;
  private readonly ownsManager: boolean;
  /** The manager's load control when requests in flight must be counted (inFlight signal, adaptive concurrency). */
  private readonly tracker: LoadControl | undefined;
  /**
   * Whether decision and slot come together (one round trip on Redis): with concurrency slots,
   * except under adaptive concurrency, which must be able to refuse before a slot is taken.
   */
  private readonly admitsWithSlot: boolean;
  private readonly logs: LogThrottle;
  private readonly hooks: UserHooks<Req>;

  constructor(options: RateLimitOptions<Req> | AnyRateLimitOptions<Req> = {}) {
    const { manager, ...rest } = options;
    if (manager !== undefined) {
      const clash = Object.keys(rest).filter(
        (k) => (MANAGER_OPTION_KEYS as readonly string[]).includes(k) && (rest as Record<string, unknown>)[k] !== undefined,
      );
      if (clash.length > 0)
        throw new RateLimitConfigError(clash.map((key) => ({ key, message: 'cannot be combined with manager: configure the manager instead' })));
      if (!(manager instanceof RateLimitManager)) throw new RateLimitConfigError([{ key: 'manager', message: 'must be a RateLimitManager' }]);
      // Without a manager, the manager's own validation catches typos; with one, nothing else would.
      const issues = new Issues();
      checkKnownKeys(issues, '', rest as Record<string, unknown>, [...HTTP_OPTION_KEYS, ...MANAGER_OPTION_KEYS]);
      if (issues.list.length > 0) throw new RateLimitConfigError(issues.list);
    }
    // Validate both halves before throwing, so one error lists every problem.
    const built = manager ?? attempt(() => new RateLimitManager(rest, HTTP_OPTION_KEYS));
    const config = attempt(() =>
      built instanceof RateLimitManager ? resolveHttpConfig(rest, built.config.env, Object.keys(built.config.tiers)) : resolveHttpConfig(rest, {}),
    );
    const issues = [built, config].flatMap((r) => (r instanceof RateLimitConfigError ? r.issues : []));
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    this.manager = built as RateLimitManager<string>;
    this.config = config as ResolvedHttpConfig<Req>;
    this.ownsManager = manager === undefined;
    this.tracker = this.manager.load?.tracksRequests ? this.manager.load : undefined;
    this.admitsWithSlot = this.config.concurrency && this.tracker?.adaptive === undefined;
    this.logs = new LogThrottle(this.manager.config.logger, this.manager.config.clock);
    this.hooks = new UserHooks(this.config, this.manager, this.logs);
    this.admin = this.config.admin ? new AdminHandler(this.manager, { ...this.config.admin, logger: this.manager.config.logger }) : undefined;
  }

  /** The admin API's answer when `url` is under the admin prefix, else `undefined`. */
  async handleAdmin(req: AdminHttpRequest): Promise<HttpResponse | undefined> {
    if (!this.admin?.matches(req.path)) return undefined;
    return this.admin.handle(req);
  }

  /**
   * Decides a request. Never throws, never rejects: a failure of the limiter itself is logged
   * (once per interval) and answered 503, or let through only with `failMode: 'open'`.
   */
  handle(req: HttpRequestInfo<Req>): Promise<HttpOutcome> {
    const outcome = this.decide(req);
    return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
  }

  /**
   * {@link handle} without a promise when nothing had to wait: the outcome itself when the
   * `skip` and `resolveTenant` hooks (if any) answered synchronously and the store decided
   * without I/O (the memory store; a shared store's blocked-tenant cache or open breaker), else a
   * `Promise` of it. Each hook runs at most once per call. For adapters on the hot path: a
   * request decided synchronously costs no promise and no turn of the microtask queue.
   * Never throws, and the promise never rejects.
   */
  decide(req: HttpRequestInfo<Req>): HttpOutcome | Promise<HttpOutcome> {
    try {
      const outcome = this.limit(req);
      return outcome instanceof Promise ? outcome.catch((error: unknown) => this.failed(req, error)) : outcome;
    } catch (error) {
      return this.failed(req, error);
    }
  }

  /** Closes the manager when this limiter created it. */
  async close(): Promise<void> {
    if (this.ownsManager) await this.manager.close();
  }

  // The steps below return a value when they could decide synchronously, else a promise; they may
  // throw (or reject): decide() turns any failure into an outcome, once.

  private limit(req: HttpRequestInfo<Req>): HttpOutcome | Promise<HttpOutcome> {
    if (this.config.skip) {
      const skip = this.hooks.skips(req);
      if (skip === true) return CONTINUE;
      if (skip !== false) return skip.then((skipped) => (skipped ? CONTINUE : this.identified(req)));
    }
    return this.identified(req);
  }

  private identified(req: HttpRequestInfo<Req>): HttpOutcome | Promise<HttpOutcome> {
    const who = this.identify(req);
    if (who instanceof Promise) return who.then((resolved) => ('action' in resolved ? resolved : this.check(req, resolved)));
    return 'action' in who ? who : this.check(req, who);
  }

  /** The decision (and, with concurrency slots, the slot in the same call) for an identified request. */
  private check(req: HttpRequestInfo<Req>, subject: Subject): HttpOutcome | Promise<HttpOutcome> {
    const { manager } = this;
    // Every field present, always: one object shape for every request.
    const options: CheckOptions = { method: req.method, route: req.route, cost: req.cost ?? this.hooks.costOf(req), bucket: req.bucket };
    if (this.admitsWithSlot) {
      const admitted = manager.admitSync(subject, req.url, options) ?? manager.admit(subject, req.url, options);
      if (admitted instanceof Promise) return admitted.then((a) => this.answer(req, subject, a.decision, a.slot));
      return this.answer(req, subject, admitted.decision, admitted.slot);
    }
    const decision = manager.checkRateLimitSync(subject, req.url, options) ?? manager.checkRateLimit(subject, req.url, options);
    if (decision instanceof Promise) return decision.then((d) => this.answer(req, subject, d, undefined));
    return this.answer(req, subject, decision, undefined);
  }

  /** The outcome of a decision: a refusal, or continue with headers and the release of what the request holds. */
  private answer(
    req: HttpRequestInfo<Req>,
    subject: Subject,
    decision: RateLimitDecision,
    slot: ConcurrencySlot | undefined,
  ): HttpOutcome | Promise<HttpOutcome> {
    const { config, manager } = this;
    const metadata = decision.metadata;
    if (metadata.skipped) return CONTINUE;
    const headers = rateLimitHeaders(decision, config.headers);
    const now = manager.config.clock.now();
    if (!decision.allowed) {
      const who = subject.anonymous ? 'this client' : `tenant ${subject.tenantId}`;
      if (metadata.reason === 'load_shed')
        return this.refuse(req, 'load_shed', `Too many requests for ${who}`, headers, decision.retryAfter, [metadata.policy], manager.config.load.shedStatus);
      const info = rateLimitInfo(decision, now);
      return limitRefusal(config, this.logs, req, 'rate_limited', `Too many requests for ${who}`, headers, decision.retryAfter, [metadata.policy], info);
    }
    // Built once here; the counter exists only when some finished requests give their cost back.
    const info = rateLimitInfo(decision, now);
    const onResponse = config.counting && responseCounter(config.counting, manager, this.logs, subject, req, decision);
    const load = this.tracker;
    let startedAt = 0;
    if (load !== undefined) {
      if (!metadata.shadow && !load.admits((manager.config.tiers[metadata.tier] as TenantQuotaConfig).priorityBoost)) {
        const shedStatus = manager.config.load.shedStatus;
        // The rate check took the cost: a refusal is a failed request to the counting options.
        onResponse?.(shedStatus);
        return this.refuse(req, 'load_shed', 'The service is overloaded; retry shortly', headers, 1, ['adaptive-concurrency'], shedStatus);
      }
      startedAt = load.begin();
    }
    if (!config.concurrency) {
      const release = load ? inFlightRelease(load, startedAt, undefined) : undefined;
      return { action: 'continue', headers, decision, release, info, onResponse };
    }
    if (slot !== undefined) return this.held(req, subject, decision, headers, slot, startedAt, info, onResponse);
    // Under adaptive concurrency the slot is taken only once the adaptive limit admitted the request.
    return manager.acquireConcurrency(subject).then(
      (taken) => this.held(req, subject, decision, headers, taken, startedAt, info, onResponse),
      (error: unknown) => {
        load?.end(startedAt, false);
        throw error;
      },
    );
  }

  private held(
    req: HttpRequestInfo<Req>,
    subject: Subject,
    decision: RateLimitDecision,
    headers: Record<string, string>,
    slot: ConcurrencySlot,
    startedAt: number,
    info: RateLimitInfo,
    onResponse: ((status: number | undefined) => void) | undefined,
  ): HttpOutcome {
    const load = this.tracker;
    if (!slot.allowed && !decision.metadata.shadow) {
      load?.end(startedAt, false);
      const who = subject.anonymous ? 'this client' : `tenant ${subject.tenantId}`;
      const detail = `Too many concurrent requests for ${who}`;
      const refusalHeaders = { ...headers, ...concurrencyHeaders(slot) };
      const policies = [`${decision.metadata.tier}-concurrency`];
      // Refused only because load cut the tenant's slots: load shedding, like a load-cut rate.
      const refused =
        slot.shed === true
          ? this.refuse(req, 'load_shed', detail, refusalHeaders, 1, policies, this.manager.config.load.shedStatus)
          : limitRefusal(this.config, this.logs, req, 'concurrency_limited', detail, refusalHeaders, CONCURRENCY_RETRY_AFTER, policies, {
              ...info,
              allowed: false,
            });
      // The rate check took the cost: a refusal is a failed request to the counting options.
      onResponse?.(refused.action === 'respond' ? refused.status : undefined);
      return refused;
    }
    const release = load ? inFlightRelease(load, startedAt, slot.release) : slot.release;
    return { action: 'continue', headers, decision, release, info, onResponse };
  }

  /** The outcome when deciding failed. */
  private failed(req: HttpRequestInfo<Req>, error: unknown): HttpOutcome {
    if (isAurumError(error) && error.code === 'ERR_AURUM_STORE_UNAVAILABLE') {
      return this.refuse(req, 'unavailable', 'Rate limiting is temporarily unavailable', { 'Retry-After': '1' }, 1);
    }
    if (error instanceof InvalidTenantError) return this.refuse(req, 'invalid_tenant', error.message, {});
    // Not a request problem: a bug or a broken dependency. Only an explicit fail-open lets the
    // request through; otherwise a failure must never switch limiting off.
    const open = this.manager.config.failMode === 'open';
    this.logs.log(
      'error',
      'handle',
      { err: error, url: req.url },
      `rate limiter failed; ${open ? 'letting the request through (failMode open)' : 'answering 503'}`,
    );
    if (open) return CONTINUE;
    return this.refuse(req, 'unavailable', 'Rate limiting is temporarily unavailable', { 'Retry-After': '1' }, 1);
  }

  /** The subject a request is limited as, or the refusal when it names a bad tenant or none is allowed. */
  private identify(req: HttpRequestInfo<Req>): Subject | HttpOutcome | Promise<Subject | HttpOutcome> {
    if (!this.config.resolveTenant) return this.fromHeaders(req);
    const id = this.hooks.resolveTenant(req);
    if (id instanceof Promise) return id.then((resolved) => this.resolved(req, resolved));
    return this.resolved(req, id);
  }

  private resolved(req: HttpRequestInfo<Req>, id: string | undefined | null): Subject | HttpOutcome {
    return id !== undefined && id !== null ? this.manager.tenant(id) : this.fromHeaders(req);
  }

  private fromHeaders(req: HttpRequestInfo<Req>): Subject | HttpOutcome {
    const { config, manager } = this;
    const fromHeader = tenantFromHeaders(req.headers, config.tenantHeaders);
    if (fromHeader.found) {
      if ('problem' in fromHeader) return this.refuse(req, 'invalid_tenant', `Invalid tenant id: ${fromHeader.problem}`, {});
      return manager.tenant(fromHeader.value);
    }
    const anon = config.anonymous;
    if (anon.mode === 'reject') {
      const names = config.tenantHeaders.join(' or ') || 'a tenant';
      return this.refuse(req, 'tenant_required', `A tenant is required: send ${names}`, {});
    }
    if (anon.mode === 'shared') return manager.anonymous('shared', anon.tier);
    const address = clientAddress(req.ip, req.headers['x-forwarded-for'], config.trustProxy);
    const group = address === undefined ? undefined : ipGroup(address, anon.ipv4Prefix, anon.ipv6Prefix);
    return manager.anonymous(group === undefined ? 'unknown' : `ip:${group}`, anon.tier);
  }

  private refuse(
    req: HttpRequestInfo<Req>,
    kind: ProblemKind,
    detail: string,
    headers: Record<string, string>,
    retryAfter?: number,
    policies?: string[],
    status?: number,
  ): HttpOutcome {
    return refusal(this.config, req, kind, detail, headers, retryAfter, policies, status);
  }
}

/** Runs `build`, returning a thrown {@link RateLimitConfigError} instead of throwing it. */
function attempt<T>(build: () => T): T | RateLimitConfigError {
  try {
    return build();
  } catch (error) {
    if (error instanceof RateLimitConfigError) return error;
    throw error;
  }
}

/** Builds an {@link HttpRateLimiter}; adapters call this with their options. */
export function createHttpRateLimiter<Req = unknown, T extends string = never>(options: RateLimitOptions<Req, T> = {}): HttpRateLimiter<Req> {
  return new HttpRateLimiter<Req>(options);
}

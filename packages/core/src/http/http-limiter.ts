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
import { RateLimitManager } from '../manager/manager.js';
import type { Subject } from '../manager/subject.js';
import { clientAddress } from '../tenant/client-address.js';
import { tenantFromHeaders } from '../tenant/identify.js';
import { ipGroup } from '../tenant/ip.js';
import { concurrencyHeaders, rateLimitHeaders } from './headers.js';
import { type HttpResponse, type ProblemKind, problemResponse, requestInstance } from './problem.js';
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
   * Decides a request. Never throws: a failure of the limiter itself is logged (once per
   * interval) and answered 503, or let through only with `failMode: 'open'`.
   */
  async handle(req: HttpRequestInfo<Req>): Promise<HttpOutcome> {
    const { config, manager } = this;
    try {
      if (config.skip && (await this.hooks.skips(req))) return CONTINUE;
      const subject = await this.identify(req);
      if (!('key' in subject)) return subject;
      const cost = req.cost ?? this.hooks.costOf(req);
      const options = {
        method: req.method,
        ...(req.route !== undefined && { route: req.route }),
        ...(cost !== undefined && { cost }),
        ...(req.bucket !== undefined && { bucket: req.bucket }),
      };
      // With concurrency slots, decision and slot come together (one round trip on Redis) — except
      // under adaptive concurrency, which must be able to refuse before a slot is taken.
      const admitted = config.concurrency && this.tracker?.adaptive === undefined ? await manager.admit(subject, req.url, options) : undefined;
      const decision = admitted ? admitted.decision : await manager.checkRateLimit(subject, req.url, options);
      if (decision.metadata.skipped) return CONTINUE;
      const headers = rateLimitHeaders(decision, config.headers);
      if (!decision.allowed) {
        const shed = decision.metadata.reason === 'load_shed';
        const kind: ProblemKind = shed ? 'load_shed' : 'rate_limited';
        const who = subject.anonymous ? 'this client' : `tenant ${subject.tenantId}`;
        return this.refuse(
          req,
          kind,
          `Too many requests for ${who}`,
          headers,
          decision.retryAfter,
          [decision.metadata.policy],
          shed ? manager.config.load.shedStatus : 429,
        );
      }
      const load = this.tracker;
      let startedAt = 0;
      if (load !== undefined) {
        if (!decision.metadata.shadow && !load.admits((manager.config.tiers[decision.metadata.tier] as TenantQuotaConfig).priorityBoost)) {
          return this.refuse(
            req,
            'load_shed',
            'The service is overloaded; retry shortly',
            headers,
            1,
            ['adaptive-concurrency'],
            manager.config.load.shedStatus,
          );
        }
        startedAt = load.begin();
      }
      if (!config.concurrency)
        return load ? { action: 'continue', headers, decision, release: tracked(load, startedAt, undefined) } : { action: 'continue', headers, decision };
      const slot = admitted?.slot ?? (await manager.acquireConcurrency(subject));
      if (!slot.allowed && !decision.metadata.shadow) {
        load?.end(startedAt, false);
        const who = subject.anonymous ? 'this client' : `tenant ${subject.tenantId}`;
        // Refused only because load cut the tenant's slots: load shedding, like a load-cut rate.
        const shed = slot.shed === true;
        return this.refuse(
          req,
          shed ? 'load_shed' : 'concurrency_limited',
          `Too many concurrent requests for ${who}`,
          { ...headers, ...concurrencyHeaders(slot) },
          1,
          [`${decision.metadata.tier}-concurrency`],
          shed ? manager.config.load.shedStatus : undefined,
        );
      }
      return { action: 'continue', headers, decision, release: load ? tracked(load, startedAt, slot.release) : slot.release };
    } catch (error) {
      if (isAurumError(error) && error.code === 'ERR_AURUM_STORE_UNAVAILABLE') {
        return this.refuse(req, 'unavailable', 'Rate limiting is temporarily unavailable', { 'Retry-After': '1' }, 1);
      }
      if (error instanceof InvalidTenantError) return this.refuse(req, 'invalid_tenant', error.message, {});
      // Not a request problem: a bug or a broken dependency. Only an explicit fail-open lets the
      // request through; otherwise a failure must never switch limiting off.
      const open = manager.config.failMode === 'open';
      this.logs.log(
        'error',
        'handle',
        { err: error, url: req.url },
        `rate limiter failed; ${open ? 'letting the request through (failMode open)' : 'answering 503'}`,
      );
      if (open) return CONTINUE;
      return this.refuse(req, 'unavailable', 'Rate limiting is temporarily unavailable', { 'Retry-After': '1' }, 1);
    }
  }

  /** Closes the manager when this limiter created it. */
  async close(): Promise<void> {
    if (this.ownsManager) await this.manager.close();
  }

  private async identify(req: HttpRequestInfo<Req>): Promise<Subject | HttpOutcome> {
    const { config, manager } = this;
    if (config.resolveTenant) {
      const id = await this.hooks.resolveTenant(req);
      if (id !== undefined && id !== null) return manager.tenant(id);
    }
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
    const problem = problemResponse(
      {
        kind,
        format: this.config.problemFormat,
        detail,
        instance: requestInstance(req.headers[this.config.requestIdHeader]),
        ...(retryAfter !== undefined && { retryAfter }),
        ...(policies && { policies }),
      },
      status,
    );
    return { action: 'respond', status: problem.status, headers: { ...headers, ...problem.headers }, body: problem.body };
  }
}

/** A release that also ends the request's in-flight count (once), then returns the concurrency slot if any. */
function tracked(load: LoadControl, startedAt: number, release: (() => Promise<void>) | undefined): () => Promise<void> {
  let done = false;
  return () => {
    if (done) return RESOLVED;
    done = true;
    load.end(startedAt, true);
    return release ? release() : RESOLVED;
  };
}

const RESOLVED = Promise.resolve();

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

import type { AdminOptions, AdminRequest } from './admin-options.js';
import { isAurumError, type RateLimitConfigError } from '../errors.js';
import type { HttpResponse } from '../http/problem.js';
import type { RateLimitManager } from '../manager/manager.js';
import { invalidLimit } from '../manager/tenant-page.js';
import type { Logger } from '../observe/logger.js';
import type { TenantOverride } from '../tiers.js';
import { bearerToken, secretsEqual } from './auth.js';

/** A request to the admin API. `body` may be parsed JSON, a string, a Buffer, or absent. */
export interface AdminHttpRequest extends AdminRequest {
  readonly body?: unknown;
}

export const DEFAULT_ADMIN_PREFIX = '/admin/ratelimit';

type Route = { method: string; pattern: RegExp; run: (m: RegExpExecArray, req: AdminHttpRequest) => Promise<HttpResponse> };

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };
const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { ...JSON_TYPE, ...headers },
  body: JSON.stringify(body),
});
const fail = (status: number, type: string, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  json(status, { error: { type: `https://aurum.api/errors/${type}`, title, detail, ...extra } }, headers);

const unknownTenant = (tenantId: string) => fail(404, 'unknown_tenant', 'Unknown Tenant', `tenant ${tenantId} has not been seen and has no override`);

/**
 * The admin API, framework-agnostic: method, path and headers in; status, headers and JSON out.
 * Every request is refused unless a token or an `authorize` function is configured.
 */
export class AdminHandler {
  readonly prefix: string;
  private readonly routes: Route[];

  constructor(
    manager: RateLimitManager<string>,
    private readonly options: AdminOptions & { logger: Logger },
  ) {
    this.prefix = (options.prefix ?? DEFAULT_ADMIN_PREFIX).replace(/\/+$/, '');
    const m = manager;
    const id = '([^/]+)';
    this.routes = [
      {
        method: 'GET',
        pattern: /^\/tenants$/,
        run: async (_x, req) => {
          const query = queryOf(req.path);
          return json(200, await m.listTenants({ limit: limitParam(query.get('limit')), cursor: query.get('cursor') }));
        },
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/tenants/${id}$`),
        run: async (x) => {
          const status = await m.getTenantStatus(decode(x[1]));
          return status.known ? json(200, status) : unknownTenant(status.tenantId);
        },
      },
      {
        method: 'DELETE',
        pattern: new RegExp(`^/tenants/${id}/reset$`),
        run: async (x) => {
          const tenantId = decode(x[1]);
          if (!(await m.getTenantStatus(tenantId)).known) return unknownTenant(tenantId);
          await m.resetTenant(tenantId);
          return json(200, { tenantId, reset: true });
        },
      },
      {
        method: 'PUT',
        pattern: new RegExp(`^/tenants/${id}/override$`),
        run: async (x, req) => {
          const tenantId = decode(x[1]);
          const body = parseBody(req.body);
          if (body === INVALID) return fail(400, 'invalid_request', 'Invalid Request', 'body must be a JSON quota object');
          await m.setTenantOverride(tenantId, body as TenantOverride<string>);
          return json(200, { tenantId, override: m.getTenantOverride(tenantId) });
        },
      },
      {
        method: 'DELETE',
        pattern: new RegExp(`^/tenants/${id}/override$`),
        run: async (x) => {
          const tenantId = decode(x[1]);
          if (!(await m.removeTenantOverride(tenantId))) return fail(404, 'not_found', 'Not Found', `tenant ${tenantId} has no override`);
          return json(200, { tenantId, removed: true });
        },
      },
      {
        method: 'POST',
        pattern: /^\/circuit-breaker\/reset$/,
        run: async () => {
          m.resetCircuitBreaker();
          return json(200, { circuitBreaker: m.breaker.state });
        },
      },
      { method: 'GET', pattern: /^\/quotas$/, run: async () => json(200, m.getQuotas()) },
      { method: 'GET', pattern: /^\/health$/, run: async () => json(200, await m.health()) },
    ];
  }

  /** True when `url` (path, optionally with a query) is under the admin prefix. */
  matches(url: string): boolean {
    const path = stripQuery(url);
    return path === this.prefix || path.startsWith(`${this.prefix}/`);
  }

  async handle(req: AdminHttpRequest): Promise<HttpResponse> {
    const denied = await this.authenticate(req);
    if (denied) return denied;
    const sub = stripQuery(req.path).slice(this.prefix.length).replace(/\/+$/, '') || '/';
    const method = req.method.toUpperCase();
    const candidates = this.routes.filter((r) => r.pattern.test(sub));
    if (candidates.length === 0) return fail(404, 'not_found', 'Not Found', `no admin route ${sub}`);
    const route = candidates.find((r) => r.method === method || (method === 'HEAD' && r.method === 'GET'));
    if (!route) {
      const allow = candidates.map((r) => r.method).join(', ');
      return fail(405, 'method_not_allowed', 'Method Not Allowed', `${method} is not allowed on ${sub}`, {}, { Allow: allow });
    }
    try {
      return await route.run(route.pattern.exec(sub) as RegExpExecArray, req);
    } catch (error) {
      return this.errorResponse(error);
    }
  }

  private async authenticate(req: AdminHttpRequest): Promise<HttpResponse | undefined> {
    const { token, authorize } = this.options;
    if (!token && !authorize) {
      return fail(
        403,
        'admin_disabled',
        'Admin API Disabled',
        'configure an admin token (AURUM_API_RATE_LIMIT_ADMIN_TOKEN) or an authorize function to use the admin API',
      );
    }
    if (authorize) {
      let ok = false;
      try {
        ok = (await authorize(req)) === true;
      } catch (err) {
        this.options.logger.warn({ err }, 'admin authorize function threw; refusing');
      }
      return ok ? undefined : fail(403, 'forbidden', 'Forbidden', 'not allowed to use the admin API');
    }
    const presented = bearerToken(req.headers.authorization);
    if (presented !== undefined && secretsEqual(presented, token as string)) return undefined;
    return fail(401, 'unauthorized', 'Unauthorized', 'send Authorization: Bearer <admin token>', {}, { 'WWW-Authenticate': 'Bearer realm="aurum-ratelimit"' });
  }

  private errorResponse(error: unknown): HttpResponse {
    if (isAurumError(error)) {
      switch (error.code) {
        case 'ERR_AURUM_INVALID_ARGUMENT':
          return fail(400, 'invalid_request', 'Invalid Request', error.message);
        case 'ERR_AURUM_INVALID_TENANT':
          return fail(400, 'invalid_tenant', 'Invalid Tenant', error.message);
        case 'ERR_AURUM_CONFIG':
          return fail(400, 'invalid_quota', 'Invalid Quota', error.message, { issues: (error as RateLimitConfigError).issues });
        case 'ERR_AURUM_STORE_UNAVAILABLE':
        case 'ERR_AURUM_STORE_TIMEOUT':
          return fail(503, 'store_unavailable', 'Store Unavailable', error.message);
        default:
          break;
      }
    }
    this.options.logger.error({ err: error }, 'admin request failed');
    return fail(500, 'internal', 'Internal Error', 'the admin request failed; see the server log');
  }
}

const INVALID = Symbol('invalid');

/** The body as a JSON object, or {@link INVALID}: a JSON array, string or number is not a quota (400 invalid_request). */
function parseBody(body: unknown): unknown {
  if (body === undefined || body === null || body === '') return INVALID;
  let value = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    } catch {
      return INVALID;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : INVALID;
}

function decode(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    return segment ?? '';
  }
}

/** The query parameters of a request path. */
function queryOf(url: string): URLSearchParams {
  const start = url.indexOf('?');
  if (start < 0) return new URLSearchParams();
  const end = url.indexOf('#', start);
  return new URLSearchParams(url.slice(start + 1, end < 0 ? undefined : end));
}

/** `?limit=` as a number; `Number()` alone would also take `1e3`, ` 5` and `0x10`. */
function limitParam(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw invalidLimit(JSON.stringify(raw));
  return Number(raw);
}

function stripQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut >= 0 ? url.slice(0, cut) : url;
}

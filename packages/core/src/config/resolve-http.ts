import { RateLimitConfigError } from '../errors.js';
import { type HeaderFamilies, ALL_HEADER_FAMILIES } from '../http/headers.js';
import type { CompiledTrustProxy } from '../tenant/client-address.js';
import { type Cidr, parseCidr } from '../tenant/ip.js';
import { TIERS } from '../tiers.js';
import { checkBoolean, checkFunction, checkKnownKeys, checkOneOf, checkTier, checkWhole, Issues, isPlainObject } from './checks.js';
import type { RateLimitEnvConfig } from './env/env-config.js';
import { adminTokenProblem } from './admin-token.js';
import type { AdminOptions } from '../admin/admin-options.js';
import type { AnonymousMode, ProblemFormat, RateLimitHttpOptions } from '../http/http-options.js';
import { type ResolvedCounting, type ResolvedRefusal, resolveCounting, resolveRefusal } from './resolve-refusal.js';

/** HTTP options after env merge, defaults and validation. */
export interface ResolvedHttpConfig<Req> {
  /** Lower-cased header names, in priority order (empty: headers are not read). */
  tenantHeaders: string[];
  resolveTenant: RateLimitHttpOptions<Req>['resolveTenant'];
  anonymous: { mode: AnonymousMode; tier: string; ipv4Prefix: number; ipv6Prefix: number };
  trustProxy: CompiledTrustProxy;
  requestIdHeader: string;
  problemFormat: ProblemFormat;
  headers: HeaderFamilies;
  concurrency: boolean;
  skip: RateLimitHttpOptions<Req>['skip'];
  cost: RateLimitHttpOptions<Req>['cost'];
  admin: (AdminOptions & { prefix: string }) | false;
  /** Shape of rate and concurrency refusals. */
  refusal: ResolvedRefusal;
  /** Which finished requests give their cost back; `undefined`: all count. */
  counting: ResolvedCounting | undefined;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DEFAULT_TENANT_HEADERS = ['x-tenant-id', 'x-aurum-tenant'];

/**
 * Validates the HTTP options over the environment's and fills in defaults.
 * @param tiers the manager's tier names (`anonymous.tier` must be one)
 */
export function resolveHttpConfig<Req>(
  o: RateLimitHttpOptions<Req, string>,
  env: RateLimitEnvConfig & { adminToken?: string },
  tiers: readonly string[] = TIERS,
): ResolvedHttpConfig<Req> {
  const issues = new Issues();
  const headerList = (key: string, v: unknown): void => {
    if (v === undefined) return;
    issues.check(Array.isArray(v) && v.every((h) => typeof h === 'string' && HEADER_NAME.test(h)), key, 'must be a list of header names');
  };
  headerList('tenantHeaders', o.tenantHeaders);
  checkFunction(issues, 'resolveTenant', o.resolveTenant);

  const anon = typeof o.anonymous === 'string' ? { mode: o.anonymous } : o.anonymous;
  if (anon !== undefined && issues.check(isPlainObject(anon), 'anonymous', 'must be ip, shared, reject or an object')) {
    checkKnownKeys(issues, 'anonymous', anon as Record<string, unknown>, ['mode', 'tier', 'ipv4Prefix', 'ipv6Prefix']);
    checkOneOf(issues, 'anonymous.mode', anon.mode, ['ip', 'shared', 'reject']);
    checkTier(issues, 'anonymous.tier', anon.tier, tiers);
    checkWhole(issues, 'anonymous.ipv4Prefix', anon.ipv4Prefix, 0, 32);
    checkWhole(issues, 'anonymous.ipv6Prefix', anon.ipv6Prefix, 0, 128);
  }

  let trust: CompiledTrustProxy = false;
  const trustProxy = o.trustProxy ?? env.trustProxy;
  if (typeof trustProxy === 'boolean') trust = trustProxy;
  else if (typeof trustProxy === 'number')
    trust = issues.check(Number.isSafeInteger(trustProxy) && trustProxy >= 0, 'trustProxy', `hop count must be a whole number >= 0, got ${trustProxy}`)
      ? trustProxy
      : false;
  else if (Array.isArray(trustProxy)) {
    const cidrs = trustProxy.map((c) => (typeof c === 'string' ? parseCidr(c) : undefined));
    const bad = trustProxy.filter((_, i) => cidrs[i] === undefined);
    if (issues.check(bad.length === 0, 'trustProxy', `must list addresses or CIDRs; bad: ${bad.map(String).join(', ')}`)) trust = cidrs as Cidr[];
  } else if (trustProxy !== undefined) issues.add('trustProxy', 'must be a boolean, a hop count or a list of addresses/CIDRs');

  if (o.requestIdHeader !== undefined)
    issues.check(typeof o.requestIdHeader === 'string' && HEADER_NAME.test(o.requestIdHeader), 'requestIdHeader', 'must be a header name');
  checkOneOf(issues, 'problemFormat', o.problemFormat, ['aurum', 'rfc9457']);
  if (
    o.headers !== undefined &&
    typeof o.headers !== 'boolean' &&
    issues.check(isPlainObject(o.headers), 'headers', 'must be a boolean or { legacy, ietf, tenant }')
  ) {
    checkKnownKeys(issues, 'headers', o.headers, ['legacy', 'ietf', 'tenant']);
    for (const k of ['legacy', 'ietf', 'tenant'] as const) checkBoolean(issues, `headers.${k}`, o.headers[k]);
  }
  checkBoolean(issues, 'concurrency', o.concurrency);
  checkFunction(issues, 'skip', o.skip);
  checkFunction(issues, 'cost', o.cost);
  const refusal = resolveRefusal(issues, o.refusal);
  const counting = resolveCounting(issues, o);

  let admin: ResolvedHttpConfig<Req>['admin'] = { prefix: '/admin/ratelimit', ...(env.adminToken && { token: env.adminToken }) };
  if (o.admin === false) admin = false;
  else if (o.admin !== undefined && issues.check(isPlainObject(o.admin), 'admin', 'must be false or { prefix, token, authorize }')) {
    checkKnownKeys(issues, 'admin', o.admin as Record<string, unknown>, ['prefix', 'token', 'authorize']);
    const { prefix, token, authorize } = o.admin;
    if (prefix !== undefined)
      issues.check(
        typeof prefix === 'string' && /^\/[^\s?#]*$/.test(prefix) && prefix.replace(/\/+$/, '') !== '',
        'admin.prefix',
        `must be a path like /admin/ratelimit, got ${String(prefix)}`,
      );
    if (token !== undefined) {
      const problem = adminTokenProblem(token);
      issues.check(problem === undefined, 'admin.token', `${problem}`);
    }
    checkFunction(issues, 'admin.authorize', authorize);
    admin = {
      prefix: prefix ?? '/admin/ratelimit',
      ...(admin.token && { token: admin.token }),
      ...(token !== undefined && { token }),
      ...(authorize && { authorize }),
    };
  }

  if (issues.list.length > 0) throw new RateLimitConfigError(issues.list);

  // With a resolveTenant hook, headers are only read when explicitly configured: the hook exists
  // so the tenant can come from something a client cannot forge.
  const headers = o.tenantHeaders ?? env.tenantHeaders ?? (o.resolveTenant ? [] : DEFAULT_TENANT_HEADERS);
  const envAnon = env.anonymous === undefined ? {} : typeof env.anonymous === 'string' ? { mode: env.anonymous } : env.anonymous;
  const families =
    o.headers === undefined || o.headers === true
      ? ALL_HEADER_FAMILIES
      : o.headers === false
        ? { legacy: false, ietf: false, tenant: false }
        : { ...ALL_HEADER_FAMILIES, ...o.headers };
  return {
    tenantHeaders: headers.map((h) => h.toLowerCase()),
    resolveTenant: o.resolveTenant,
    anonymous: { mode: 'ip', tier: 'free', ipv4Prefix: 32, ipv6Prefix: 56, ...envAnon, ...anon },
    trustProxy: trust,
    requestIdHeader: (o.requestIdHeader ?? env.requestIdHeader ?? 'x-request-id').toLowerCase(),
    problemFormat: o.problemFormat ?? env.problemFormat ?? 'aurum',
    headers: families,
    concurrency: o.concurrency ?? true,
    skip: o.skip,
    cost: o.cost,
    admin,
    refusal,
    counting,
  };
}

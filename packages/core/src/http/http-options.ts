// HTTP-level option types, shared by every adapter; config/resolve-http.ts validates them.
import type { AdminOptions } from '../admin/admin-options.js';
import type { TrustProxy } from '../tenant/client-address.js';
import type { Tier } from '../tiers.js';
import type { RefusalInfo } from './rate-limit-info.js';

/** What to do with requests that carry no tenant. */
export type AnonymousMode = 'ip' | 'shared' | 'reject';

/** How requests without a tenant are limited: `anonymous` of {@link RateLimitHttpOptions}. */
export interface AnonymousPolicy<T extends string = Tier> {
  /** `ip` (default): a bucket per client address group; `shared`: one bucket; `reject`: 400. */
  mode?: AnonymousMode;
  /** @default 'free' */
  tier?: T;
  /** IPv4 addresses sharing a bucket: /32 is one address each. @default 32 */
  ipv4Prefix?: number;
  /** IPv6 addresses sharing a bucket; /56 is a typical customer delegation. @default 56 */
  ipv6Prefix?: number;
}

/** Body shape of 4xx/5xx answers. */
export type ProblemFormat = 'aurum' | 'rfc9457';

/**
 * How rate and concurrency refusals (the 429s) look: `refusal` of {@link RateLimitHttpOptions}.
 * Headers (`Retry-After`, rate-limit headers) are set whatever the body. Other refusals (400 for a
 * bad tenant, 503 for load shedding or an unavailable limiter) keep their problem documents.
 */
export interface RefusalOptions {
  /** Status code, 400–599. @default 429 */
  status?: number;
  /** The problem's `detail`, or a function of the refusal building it. */
  message?: string | ((info: RefusalInfo) => string);
  /**
   * Builds the body from the default problem document (an object) and the refusal. A string is
   * sent as `text/plain`, anything else as JSON (the problem itself, extended, keeps its problem
   * Content-Type); `undefined` keeps the default. A hook that throws
   * is logged and the default refusal sent.
   */
  body?: (problem: Record<string, unknown>, info: RefusalInfo) => unknown;
}

/**
 * HTTP-level options shared by every adapter. `Req` is the framework's request type; `T` the tier
 * names of your own (see {@link RateLimitManagerOptions}).
 */
export interface RateLimitHttpOptions<Req = unknown, T extends string = Tier> {
  /** Headers carrying the tenant id, first present wins. @default ['X-Tenant-ID', 'X-Aurum-Tenant'] */
  tenantHeaders?: string[];
  /**
   * Reads the tenant from the request (an authenticated principal, say). When set, headers are
   * not read unless `tenantHeaders` is also set. Return `undefined` for "no tenant".
   */
  resolveTenant?: (req: Req) => string | undefined | null | Promise<string | undefined | null>;
  /** Requests without a tenant. @default { mode: 'ip', tier: 'free', ipv4Prefix: 32, ipv6Prefix: 56 } */
  anonymous?: AnonymousMode | AnonymousPolicy<T>;
  /** Whether to believe `X-Forwarded-For`. @default false */
  trustProxy?: TrustProxy;
  /** Header whose value becomes the problem body's `instance`. @default 'X-Request-ID' */
  requestIdHeader?: string;
  /** @default 'aurum': `{"error":{type,title,detail,retry_after,instance}}` as `application/json`; `rfc9457`: an RFC 9457 `application/problem+json` document */
  problemFormat?: ProblemFormat;
  /** Header families to send; `false` sends only what a denial needs. @default all true */
  headers?: boolean | { legacy?: boolean; ietf?: boolean; tenant?: boolean };
  /** Hold a concurrency slot per request (released when the response ends or the client aborts). @default true */
  concurrency?: boolean;
  /** Return true to let a request through unlimited. */
  skip?: (req: Req) => boolean | Promise<boolean>;
  /** Cost of a request (beats route rules); `undefined` falls through to them. */
  cost?: (req: Req) => number | undefined;
  /** Admin routes, or `false` not to mount them. Refuse everything unless `token` or `authorize` is set. */
  admin?: false | AdminOptions;
  /** Shape of rate and concurrency refusals. @default 429 with the `problemFormat` body */
  refusal?: RefusalOptions;
  /**
   * Give a request's cost back when its response failed (see `requestWasSuccessful`), or the
   * client went away before it ended: only successes count. @default false
   */
  skipFailedRequests?: boolean;
  /** Give a request's cost back when its response succeeded: only failures count. @default false */
  skipSuccessfulRequests?: boolean;
  /** Whether a response counts as a success for the two options above. @default status < 400 */
  requestWasSuccessful?: (status: number) => boolean;
}

/** Every key of {@link RateLimitHttpOptions}: an HTTP option given to the manager is a mistake worth naming. */
export const HTTP_OPTION_KEYS = [
  'tenantHeaders',
  'resolveTenant',
  'anonymous',
  'trustProxy',
  'requestIdHeader',
  'problemFormat',
  'headers',
  'concurrency',
  'skip',
  'cost',
  'admin',
  'refusal',
  'skipFailedRequests',
  'skipSuccessfulRequests',
  'requestWasSuccessful',
] as const satisfies readonly (keyof RateLimitHttpOptions)[];

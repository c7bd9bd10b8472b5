import type { Tier } from '../tiers.js';

/** Names of separate buckets: short, and safe inside store keys. */
export const BUCKET_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Rate and burst for a route bucket. */
export interface BucketQuota {
  requestsPerSecond: number;
  burstSize: number;
}

/**
 * A rule for matching requests. The first rule that matches wins.
 *
 * `path` is a pattern over the normalized path: `:name` or `*` match one segment, a trailing
 * `/**` matches the rest (including nothing); a RegExp is tested as is.
 */
export interface RouteRule<T extends string = Tier> {
  path: string | RegExp;
  /** HTTP methods the rule applies to (any when omitted). */
  method?: string | readonly string[];
  /** Tokens a matching request costs. @default 1 */
  cost?: number;
  /**
   * Count matching requests in a separate bucket of this name instead of the tenant's main
   * bucket. It uses the tenant's quota unless `quota` is given.
   */
  bucket?: string;
  /** The bucket's quota: one for every tier, or per tier (tiers left out use their own quota). */
  quota?: BucketQuota | { [K in T]?: BucketQuota };
  /** Decide and report, never block. */
  shadow?: boolean;
  /** Do not limit matching requests at all. */
  skip?: boolean;
}

/** A rule ready for matching. */
export interface CompiledRouteRule {
  readonly rule: RouteRule;
  readonly re: RegExp;
  readonly methods: ReadonlySet<string> | undefined;
  /** The pattern as a metrics label. */
  readonly label: string;
}

/** Compiles a path pattern; `caseSensitive` false matches `/V1/Export` against `/v1/export`. */
export function compileRoutePattern(pattern: string | RegExp, caseSensitive: boolean): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  const trimmed = pattern.length > 1 ? pattern.replace(/\/+$/, '') : pattern;
  let body = '';
  const segments = trimmed.split('/').filter((s) => s !== '');
  segments.forEach((segment, i) => {
    if (segment === '**' && i === segments.length - 1) {
      body += '(?:/.*)?';
    } else if (segment === '*' || segment.startsWith(':')) {
      body += '/[^/]+';
    } else {
      body += `/${segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&')}`;
    }
  });
  return new RegExp(`^${body || '/'}$`, caseSensitive ? '' : 'i');
}

export function compileRouteRules(rules: readonly RouteRule[], caseSensitive: boolean): CompiledRouteRule[] {
  return rules.map((rule) => {
    const methods =
      rule.method === undefined ? undefined : new Set((typeof rule.method === 'string' ? [rule.method] : rule.method).map((m) => m.toUpperCase()));
    return { rule, re: compileRoutePattern(rule.path, caseSensitive), methods, label: String(rule.path) };
  });
}

/** The first rule matching a normalized path and method. */
export function matchRouteRule(rules: readonly CompiledRouteRule[], path: string, method: string | undefined): CompiledRouteRule | undefined {
  const m = method?.toUpperCase();
  for (const compiled of rules) {
    if (compiled.methods && (m === undefined || !compiled.methods.has(m))) continue;
    if (compiled.re.test(path)) return compiled;
  }
  return undefined;
}

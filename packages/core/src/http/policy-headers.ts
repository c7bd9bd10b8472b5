/**
 * The header values that depend only on a policy — its name, limit and window — built once per
 * policy instead of once per response: `X-RateLimit-Limit`, the quoted name the `RateLimit` field
 * starts with, and the whole `RateLimit-Policy` field.
 */
export interface PolicyHeaderValues {
  readonly limit: number;
  readonly window: number;
  /** `X-RateLimit-Limit`. */
  readonly limitValue: string;
  /** The policy name as an sf-string, as `RateLimit` starts. */
  readonly quotedName: string;
  /** `RateLimit-Policy`. */
  readonly policyValue: string;
}

/** Variants kept per policy name: a tier's quota, a few tenant overrides, a load-scaled limit. */
const VARIANTS_PER_NAME = 8;
/** Names kept before the cache starts over (tiers and route buckets: a handful in practice). */
const MAX_NAMES = 1000;

const byName = new Map<string, PolicyHeaderValues[]>();

/** An sf-string: quoted, with `"` and `\` escaped. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * The values for a policy; a hit allocates nothing. Policies sharing a name (a tier and the
 * overrides of some of its tenants, a limit scaled by load) keep a few variants each, the
 * oldest replaced first.
 */
export function policyHeaderValues(name: string, limit: number, window: number): PolicyHeaderValues {
  let variants = byName.get(name);
  if (variants !== undefined) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[i] as PolicyHeaderValues;
      if (v.limit === limit && v.window === window) return v;
    }
  } else {
    if (byName.size >= MAX_NAMES) byName.clear();
    variants = [];
    byName.set(name, variants);
  }
  const quotedName = variants[0]?.quotedName ?? sfString(name);
  const values: PolicyHeaderValues = { limit, window, limitValue: String(limit), quotedName, policyValue: `${quotedName};q=${limit};w=${window}` };
  if (variants.length >= VARIANTS_PER_NAME) variants.pop();
  variants.unshift(values);
  return values;
}

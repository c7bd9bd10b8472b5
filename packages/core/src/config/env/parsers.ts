// The kinds of value an environment variable can hold. Each knows what it accepts (`expect`,
// shown in error messages and in docs/configuration.md) and turns trimmed text into a value.
import { MAX_RATE, MIN_RATE } from '../../algorithms/gcra.js';
import { MAX_BREAKER_MS } from '../../breaker/circuit-breaker.js';
import { MAX_TIMER_MS } from '../../clock.js';
import type { TrustProxy } from '../../tenant/client-address.js';
import { parseCidr } from '../../tenant/ip.js';
import type { TierRule } from '../../tenant/tier-resolver.js';
import { adminTokenProblem } from '../admin-token.js';

/** A parsed value, or the message of why the text is not one (`must be …`). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface EnvParser<T> {
  /** What the variable accepts, as a noun phrase: `a whole number in [0, 32]`. */
  readonly expect: string;
  /** Reads a trimmed, non-empty value. */
  parse(text: string): Parsed<T>;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(problem: string): Parsed<T> => ({ ok: false, problem });
const got = (expect: string, text: string) => `must be ${expect}, got ${JSON.stringify(text)}`;

/** Plain decimal notation: no hex, no `Infinity`, no separators. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A number in the domain `check` accepts. */
export function number(expect: string, check: (n: number) => boolean): EnvParser<number> {
  return {
    expect,
    parse: (text) => {
      const n = Number(text);
      // Finite: the pattern admits "1e999", which parses to Infinity.
      return DECIMAL.test(text) && Number.isFinite(n) && check(n) ? ok(n) : fail(got(expect, text));
    },
  };
}

export function whole(min: number, max = Number.MAX_SAFE_INTEGER): EnvParser<number> {
  const expect = max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number in [${min}, ${max}]`;
  return number(expect, (n) => Number.isSafeInteger(n) && n >= min && n <= max);
}

export function positive(max = Number.POSITIVE_INFINITY): EnvParser<number> {
  return number(Number.isFinite(max) ? `a number in (0, ${max}]` : 'a finite number > 0', (n) => n > 0 && n <= max);
}

/** A number in [0, 1]. */
export const fraction = number('a number in [0, 1]', (n) => n >= 0 && n <= 1);

/** A refill rate one store can execute. */
export const rate = number(
  `a number in [${MIN_RATE.toPrecision(4)}, ${MAX_RATE}] (one request per day to a million per second)`,
  (n) => n >= MIN_RATE && n <= MAX_RATE,
);

/** Whole milliseconds a Node timer honours: longer delays would fire after 1 ms. */
export const timerMs = (min = 1): EnvParser<number> => whole(min, MAX_TIMER_MS);

/**
 * Seconds, read as whole milliseconds for the breaker: "0.0005" or "1e7" is a mistake, not a
 * rounding. (The tolerance absorbs binary fractions: 1.1 * 1000 is 1100.0000000000002.)
 */
export const secondsAsMs: EnvParser<number> = map(
  number(`a number of seconds in [0.001, ${MAX_BREAKER_MS / 1000}] with at most 3 decimals`, (n) => {
    const ms = Math.round(n * 1000);
    return ms >= 1 && ms <= MAX_BREAKER_MS && Math.abs(n * 1000 - ms) <= 1e-9 * ms;
  }),
  (n) => Math.round(n * 1000),
);

export const boolean: EnvParser<boolean> = {
  expect: 'true or false',
  parse: (text) => {
    const v = text.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return ok(true);
    if (['0', 'false', 'no', 'off'].includes(v)) return ok(false);
    return fail(got('true or false', v));
  },
};

/** One of `allowed`, case-insensitively. */
export function oneOf<T extends string>(allowed: readonly T[]): EnvParser<T> {
  const expect = `one of ${allowed.join(', ')}`;
  return {
    expect,
    parse: (text) => {
      const v = text.toLowerCase();
      return (allowed as readonly string[]).includes(v) ? ok(v as T) : fail(got(expect, v));
    },
  };
}

/** The parser's value passed through `f`. */
export function map<A, B>(parser: EnvParser<A>, f: (value: A) => B): EnvParser<B> {
  return {
    expect: parser.expect,
    parse: (text) => {
      const r = parser.parse(text);
      return r.ok ? ok(f(r.value)) : r;
    },
  };
}

export const redisUrl: EnvParser<string> = {
  expect: 'a redis:// or rediss:// URL',
  parse: (text) => (isRedisUrl(text) ? ok(text) : fail('must be a redis:// or rediss:// URL')),
};

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const headerName: EnvParser<string> = {
  expect: 'a header name',
  parse: (text) => (HEADER_NAME.test(text) ? ok(text) : fail('must be a header name')),
};

export const headerList: EnvParser<string[]> = {
  expect: 'a comma-separated list of header names',
  parse: (text) => {
    const list = commaList(text);
    const bad = list.filter((h) => !HEADER_NAME.test(h));
    return list.length > 0 && bad.length === 0
      ? ok(list)
      : fail(`must be a comma-separated list of header names${bad.length ? `; bad: ${bad.join(', ')}` : ''}`);
  },
};

/** A comma-separated list, every item one of `allowed` (case-sensitive: these are identifiers). */
export function listOf<T extends string>(allowed: readonly T[]): EnvParser<T[]> {
  const expect = `a comma-separated list of ${allowed.join(', ')}`;
  return {
    expect,
    parse: (text) => {
      const list = commaList(text);
      return list.length > 0 && list.every((x) => (allowed as readonly string[]).includes(x)) ? ok(list as T[]) : fail(`must be ${expect}`);
    },
  };
}

/** `pattern=tier` pairs, every tier one of `tiers`. */
export const tierRulesOf = (tiers: readonly string[]): EnvParser<TierRule<string>[]> => ({
  expect: 'comma-separated pattern=tier pairs',
  parse: (text) => {
    const parsed: TierRule<string>[] = [];
    const bad: string[] = [];
    for (const entry of commaList(text)) {
      const eq = entry.lastIndexOf('=');
      const pattern = entry.slice(0, eq).trim();
      const tier = entry
        .slice(eq + 1)
        .trim()
        .toLowerCase();
      if (eq > 0 && pattern !== '' && tiers.includes(tier)) parsed.push({ pattern, tier });
      else bad.push(entry);
    }
    return bad.length === 0
      ? ok(parsed)
      : fail(`must be comma-separated pattern=tier pairs (e.g. "ent-*=enterprise") naming the tiers ${tiers.join(', ')}; bad: ${bad.join(', ')}`);
  },
});

const TRUST_PROXY = 'true, false, a hop count, or a comma-separated list of addresses/CIDRs';

export const trustProxy: EnvParser<TrustProxy> = {
  expect: TRUST_PROXY,
  parse: (text) => {
    const parsed = parseTrustProxy(text);
    return parsed === undefined ? fail(got(TRUST_PROXY, text)) : ok(parsed);
  },
};

export const adminToken: EnvParser<string> = {
  expect: 'at least 16 printable ASCII characters, no whitespace',
  parse: (text) => {
    const problem = adminTokenProblem(text);
    return problem === undefined ? ok(text) : fail(problem);
  },
};

export const redisKeyPrefix: EnvParser<string> = {
  expect: 'text without braces or whitespace',
  parse: (text) => (/[{}\s]/.test(text) ? fail('must not contain braces or whitespace') : ok(text)),
};

/** The non-empty, trimmed items of a comma-separated value. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Parses the text form of {@link TrustProxy}; `undefined` when malformed. */
export function parseTrustProxy(text: string): TrustProxy | undefined {
  const v = text.trim().toLowerCase();
  if (['true', 'yes', 'on'].includes(v)) return true;
  if (['false', 'no', 'off'].includes(v)) return false;
  if (/^\d+$/.test(v)) return Number(v);
  const list = commaList(text);
  return list.length > 0 && list.every((c) => parseCidr(c) !== undefined) ? list : undefined;
}

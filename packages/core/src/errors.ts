const BRAND = Symbol.for('aurum.ratelimit.error');
const DOCS = 'https://github.com/aurum/ratelimit/blob/main/docs/error-codes.md';

/** Stable machine-readable codes; each is documented in docs/error-codes.md. */
export type AurumErrorCode =
  | 'ERR_AURUM_CONFIG'
  | 'ERR_AURUM_INVALID_ARGUMENT'
  | 'ERR_AURUM_INVALID_TENANT'
  | 'ERR_AURUM_STORE_UNAVAILABLE'
  | 'ERR_AURUM_STORE_TIMEOUT'
  | 'ERR_AURUM_CLOSED'
  | 'ERR_AURUM_ADMIN_DISABLED';

/** Base class of every error this library throws on purpose. Use {@link isAurumError} to test. */
export class AurumError extends Error {
  readonly code: AurumErrorCode;
  /** Link to the explanation of {@link AurumError.code}. */
  readonly docs: string;

  constructor(code: AurumErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.docs = docsFor(code);
    Object.defineProperty(this, BRAND, { value: true });
  }
}

const docsFor = (code: AurumErrorCode): string => `${DOCS}#${code.toLowerCase().replaceAll('_', '-')}`;

/** One problem found while validating configuration. */
export interface ConfigIssue {
  /** The option path (`tiers.free.burstSize`) or environment variable name. */
  readonly key: string;
  readonly message: string;
}

/**
 * Configuration (options or environment) is invalid. Lists every problem at once, so a
 * deployment is fixed in one round rather than one variable at a time.
 */
export class RateLimitConfigError extends AurumError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `  - ${i.key}: ${i.message}`).join('\n');
    super('ERR_AURUM_CONFIG', `Invalid rate limit configuration:\n${lines}`);
    this.issues = issues;
  }
}

/** A function was called with an argument outside its domain (cost 0, NaN rate, …). */
export class InvalidArgumentError extends AurumError {
  constructor(message: string) {
    super('ERR_AURUM_INVALID_ARGUMENT', message);
  }
}

/** A tenant id failed validation. HTTP adapters answer 400; it never falls into a shared bucket. */
export class InvalidTenantError extends AurumError {
  /** Why the id was refused, safe to show to the client. */
  readonly reason: string;

  constructor(reason: string) {
    super('ERR_AURUM_INVALID_TENANT', `Invalid tenant id: ${reason}`);
    this.reason = reason;
  }
}

/** The store could not answer (error, timeout, or open breaker with fail-closed). */
export class StoreUnavailableError extends AurumError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_AURUM_STORE_UNAVAILABLE', message, options);
  }
}

/** A store call exceeded its per-call timeout. */
export class StoreTimeoutError extends AurumError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('ERR_AURUM_STORE_TIMEOUT', `Store call timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The manager or store was used after `close()`. */
export class ClosedError extends AurumError {
  constructor(what: string) {
    super('ERR_AURUM_CLOSED', `${what} is closed`);
  }
}

/**
 * An adapter was asked to mount the admin API of a limiter built with `admin: false`. A
 * `TypeError`, as adapters threw before it had a code, so it is not an `instanceof AurumError`;
 * {@link isAurumError} recognises it and `code` is stable.
 */
export class AdminDisabledError extends TypeError {
  readonly code: AurumErrorCode = 'ERR_AURUM_ADMIN_DISABLED';
  readonly docs: string = docsFor('ERR_AURUM_ADMIN_DISABLED');

  /** @param prefix where the admin API would have been mounted */
  constructor(prefix: string) {
    super(`the admin API is disabled (admin: false); nothing to mount at ${prefix}`);
    this.name = 'AdminDisabledError';
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for errors thrown by this library, across package copies (checks a brand, not `instanceof`). */
export function isAurumError(error: unknown): error is AurumError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

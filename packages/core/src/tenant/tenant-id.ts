import { InvalidTenantError } from '../errors.js';

/** Default longest tenant id. */
export const DEFAULT_TENANT_ID_MAX_LENGTH = 128;

/** Default character set: ASCII letters and digits, then `.`, `_`, `-`, `:`, `@`. */
export const DEFAULT_TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** Rules a tenant id must follow. */
export interface TenantIdRules {
  /** @default 128 */
  maxLength?: number;
  /**
   * Allowed shape. Braces, a leading `~`, whitespace, control and non-ASCII characters are
   * refused whatever the pattern says: braces would break Redis Cluster hash tags, `~` starts
   * internal (anonymous) key stems, the rest are header tricks.
   * @default /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/
   */
  pattern?: RegExp;
}

/** Why `id` is not a valid tenant id, or `undefined` when it is. */
export function tenantIdProblem(id: unknown, rules: TenantIdRules = {}): string | undefined {
  if (typeof id !== 'string') return 'must be a string';
  if (id.length === 0) return 'must not be empty';
  const max = rules.maxLength ?? DEFAULT_TENANT_ID_MAX_LENGTH;
  if (id.length > max) return `must be at most ${max} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[^\x21-\x7e]/.test(id)) return /[^\x00-\x7f]/.test(id) ? 'must be ASCII' : 'must not contain whitespace or control characters';
  if (/[{}]/.test(id)) return 'must not contain braces';
  // `~` starts the stems of internal subjects (anonymous client groups): never a tenant's.
  if (id.startsWith('~')) return 'must not start with ~';
  const pattern = rules.pattern ?? DEFAULT_TENANT_ID_PATTERN;
  pattern.lastIndex = 0;
  if (!pattern.test(id)) return `must match ${String(pattern)}`;
  return undefined;
}

/** Returns `id` when valid; throws {@link InvalidTenantError} otherwise. */
export function assertTenantId(id: unknown, rules?: TenantIdRules): string {
  const problem = tenantIdProblem(id, rules);
  if (problem !== undefined) throw new InvalidTenantError(problem);
  return id as string;
}

/** Headers as Node gives them: lower-case names, `string[]` for repeated ones. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** Result of reading the tenant header(s). */
export type HeaderTenant = { found: false } | { found: true; value: string } | { found: true; problem: string };

/**
 * The first configured tenant header present. An empty value or a repeated header is a
 * problem (400), not "no tenant": silently treating it as anonymous would hide client bugs.
 */
export function tenantFromHeaders(headers: HeaderBag, names: readonly string[]): HeaderTenant {
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) return { found: true, problem: `header ${name} must be sent once` };
    return value === '' ? { found: true, problem: `header ${name} must not be empty` } : { found: true, value };
  }
  return { found: false };
}

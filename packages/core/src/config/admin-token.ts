/** Shortest admin token accepted: shorter secrets can be guessed online. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/**
 * Why `token` cannot be an admin bearer token, or `undefined` when it can. A token a client
 * cannot send in `Authorization: Bearer <token>` (whitespace, control characters) would leave the
 * admin API silently unusable, so it is refused at start-up instead.
 */
export function adminTokenProblem(token: unknown): string | undefined {
  if (typeof token !== 'string') return 'must be a string';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s\x00-\x1f\x7f]/.test(token)) return 'must not contain whitespace or control characters (it is sent as Authorization: Bearer <token>)';
  if (/[^\x21-\x7e]/.test(token)) return 'must be printable ASCII';
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (use a long random value), got ${token.length}`;
  return undefined;
}

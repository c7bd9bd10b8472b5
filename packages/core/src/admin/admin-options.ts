/** A request as admin auth sees it. */
export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The admin API's options: `admin` of {@link RateLimitHttpOptions}. */
export interface AdminOptions {
  /** Mount point. @default '/admin/ratelimit' */
  prefix?: string;
  /** Bearer token, compared in constant time. @default env AURUM_API_RATE_LIMIT_ADMIN_TOKEN */
  token?: string;
  /** Custom check instead of (or besides) the token. */
  authorize?: (request: AdminRequest) => boolean | Promise<boolean>;
}

import { type AdminHandler, DEFAULT_ADMIN_PREFIX } from '../admin/admin-handler.js';
import { AdminDisabledError } from '../errors.js';
import type { HttpRateLimiter } from '../http/http-limiter.js';

/**
 * The limiter's admin handler, for adapters that mount the admin API on its own.
 *
 * @throws AdminDisabledError (a `TypeError`) when the limiter was built with `admin: false`
 */
export function assertAdminEnabled(limiter: { readonly admin: AdminHandler | undefined }): AdminHandler {
  if (!limiter.admin) throw new AdminDisabledError(DEFAULT_ADMIN_PREFIX);
  return limiter.admin;
}

/** What an admin-only mount serves, and how to close it. */
export interface AdminMount<Req> {
  readonly limiter: HttpRateLimiter<Req>;
  readonly admin: AdminHandler;
  /** Closes the limiter when the mount built it; a shared limiter is left to its owner. */
  close(): Promise<void>;
}

/**
 * The limiter of an admin-only mount (Express/Koa `createAdminRouter`, the Fastify admin plugin):
 * the `shared` one, or one `build` makes, which then belongs to the mount.
 *
 * @throws AdminDisabledError when the limiter has no admin API; a limiter built here is closed first
 */
export function mountAdmin<Req>(shared: HttpRateLimiter<Req> | undefined, build: () => HttpRateLimiter<Req>): AdminMount<Req> {
  const limiter = shared ?? build();
  if (!limiter.admin && !shared) {
    // Nobody else holds it, so nobody else could close its store.
    limiter.close().catch((err: unknown) => limiter.manager.config.logger.warn({ err }, 'closing the unused admin limiter failed'));
  }
  const admin = assertAdminEnabled(limiter);
  return { limiter, admin, close: async () => (shared ? undefined : limiter.close()) };
}

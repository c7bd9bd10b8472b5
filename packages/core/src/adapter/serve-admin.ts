import type { AdminHandler, AdminHttpRequest } from '../admin/admin-handler.js';
import type { HttpResponse } from '../http/problem.js';
import { adminBody, type BodySource } from './admin-body.js';

/**
 * An admin request as an adapter sees it: `path` is the URL as received (query included),
 * `body` what a body parser left, if one ran, and `stream` the Node request to read otherwise.
 */
export interface AdminRequestSource extends AdminHttpRequest {
  readonly stream: BodySource;
}

/**
 * The admin API's answer to a request under its prefix; `undefined` for any other request, whose
 * body is then left unread for the app. Never rejects.
 */
export async function serveAdmin(admin: AdminHandler | undefined, req: AdminRequestSource): Promise<HttpResponse | undefined> {
  if (!admin?.matches(req.path)) return undefined;
  const body = await adminBody(req.body, req.stream, req.method);
  return admin.handle({ method: req.method, path: req.path, headers: req.headers, body });
}

// What an adapter author needs beyond `HttpRateLimiter`: Node-response writing, slot release,
// admin serving. Grouped here so it can become its own package entry point in one step.
export { adminBody, type BodySource, MAX_ADMIN_BODY_BYTES, readAdminBody } from './admin-body.js';
export { type NodeResponseLike, refusalHeaders, setHeaders, writeResponse } from './node-response.js';
export { releaseWhenDone, type ResponseLifecycle } from './release-when-done.js';
export { type CountedResponse, countWhenDone } from './count-when-done.js';
export { checkRefusalHook, runRefusalHook } from './refusal-hook.js';
export { type AdminMount, assertAdminEnabled, mountAdmin } from './admin-mount.js';
export { type AdminRequestSource, serveAdmin } from './serve-admin.js';

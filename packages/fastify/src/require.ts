// The CommonJS entry (dist/index.cjs). Like @fastify/rate-limit, `module.exports` is the plugin
// itself, carrying the named exports as properties, so `register(require(...))`,
// `require(...).default` and `const { aurumRateLimit } = require(...)` all work. (A default export
// beside named ones made `module.exports` a plain object, and tsup warned about it: issue 14.)
import { aurumRateLimitAdmin } from './admin-routes.js';
import { aurumRateLimitOptions } from './options.js';
import { aurumRateLimit } from './plugin.js';

export default Object.assign(aurumRateLimit, { default: aurumRateLimit, aurumRateLimit, aurumRateLimitAdmin, aurumRateLimitOptions });

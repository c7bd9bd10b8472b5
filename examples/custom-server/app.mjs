import { createServer } from 'node:http';
import { countWhenDone, createHttpRateLimiter, releaseWhenDone, serveAdmin, setHeaders, writeResponse } from '@aurum/ratelimit-core/adapter';

/**
 * A framework-free server: the core's HttpRateLimiter does identification, limiting, headers
 * and bodies, and its adapter kit writes them to Node's response; this file only translates,
 * which is all an adapter does.
 */
export function createApp(options = {}) {
  const limiter = createHttpRateLimiter({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }], ...options });
  const logger = limiter.manager.config.logger;

  const server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    // No body parser here: the kit reads an admin body from the stream (bounded).
    const admin = await serveAdmin(limiter.admin, { method, path: url, headers: req.headers, stream: req });
    if (admin) return writeResponse(res, admin);
    const outcome = await limiter.handle({ method, url, headers: req.headers, ip: req.socket.remoteAddress, raw: req });
    if (outcome.action === 'respond') return writeResponse(res, outcome);
    setHeaders(res, outcome.headers);
    if (outcome.release) releaseWhenDone(res, outcome.release, logger);
    if (outcome.onResponse) countWhenDone(res, outcome.onResponse);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ hello: 'world', path: url }));
  });
  return { server, limiter };
}

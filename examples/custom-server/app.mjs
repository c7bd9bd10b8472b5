import { createServer } from 'node:http';
import { createHttpRateLimiter } from '@aurum/ratelimit-core';

/**
 * A framework-free server: the core's HttpRateLimiter does identification, limiting, headers
 * and bodies; this file only moves bytes, which is all an adapter does.
 */
export function createApp(options = {}) {
  const limiter = createHttpRateLimiter({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }], ...options });

  const server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    if (limiter.admin?.matches(url)) {
      const body = await readBody(req);
      const response = await limiter.handleAdmin({ method: req.method ?? 'GET', path: url, headers: req.headers, body });
      if (response) return write(res, response);
    }
    const outcome = await limiter.handle({ method: req.method ?? 'GET', url, headers: req.headers, ip: req.socket.remoteAddress, raw: req });
    if (outcome.action === 'respond') return write(res, outcome);
    for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
    if (outcome.release) {
      res.once('close', () => void outcome.release());
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ hello: 'world', path: url }));
  });
  return { server, limiter };
}

function write(res, { status, headers, body }) {
  res.writeHead(status, headers);
  res.end(body);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
}

// Before: express-rate-limit with rate-limit-redis, keyed by a tenant header.
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';

export function createApp(client: Redis) {
  const app = express();
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: 100,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => req.get('x-tenant-id') ?? req.ip ?? 'unknown',
      skip: (req) => req.path === '/health',
      store: new RedisStore({ sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as never }),
    }),
  );
  app.get('/v1/items', (_req, res) => res.json([]));
  return app;
}

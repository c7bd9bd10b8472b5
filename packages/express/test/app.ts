import type { RateLimitOptions } from '@aurum/ratelimit-core';
import type { RunningApp } from '@aurum/ratelimit-testkit';
import type { Express } from 'express';
import { createRateLimitMiddleware } from '../src/index.js';

type ExpressFactory = () => Express;

/** The conformance app on a given Express major. */
export async function startExpressApp(express: ExpressFactory, options: RateLimitOptions): Promise<RunningApp> {
  const app = express();
  const limiter = createRateLimitMiddleware(options as never);
  app.use(limiter);
  app.get('/ping', (_req, res) => {
    res.type('text/plain').send('pong');
  });
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.get('/slow', (req, res) => {
    setTimeout(
      () => {
        if (!res.writableEnded && !res.destroyed) res.type('text/plain').send('slow');
      },
      Number(req.query.ms ?? 100),
    );
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      await limiter.close();
    },
  };
}

import type { RateLimitOptions } from '@aurum/ratelimit-core';
import { type AppVariant, brokenRefusalHook, conformanceRefusalBody, type RunningApp } from '@aurum/ratelimit-testkit';
import type { Express } from 'express';
import { createRateLimitMiddleware, type ExpressRateLimitOptions } from '../src/index.js';

type ExpressFactory = () => Express;

/** The conformance app on a given Express major. */
export async function startExpressApp(express: ExpressFactory, options: RateLimitOptions, variant: AppVariant = {}): Promise<RunningApp> {
  const app = express();
  const handler: ExpressRateLimitOptions['handler'] =
    variant.refusalHook === 'custom'
      ? (_req, res, _next, info) => res.status(info.status).json(conformanceRefusalBody(info))
      : variant.refusalHook === 'throws'
        ? brokenRefusalHook
        : undefined;
  const limiter = createRateLimitMiddleware({ ...(options as ExpressRateLimitOptions), handler });
  app.use(limiter);
  app.get('/ping', (_req, res) => {
    res.type('text/plain').send('pong');
  });
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.get('/info', (req, res) => {
    res.json({ rateLimit: req.rateLimit ?? null });
  });
  app.get('/status/:code', (req, res) => {
    res.status(Number(req.params.code)).type('text/plain').send('status');
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

import type { RateLimitOptions } from '@aurum/ratelimit-core';
import { type AppVariant, brokenRefusalHook, conformanceRefusalBody, type RunningApp } from '@aurum/ratelimit-testkit';
import fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach } from 'vitest';
import { aurumRateLimit, type FastifyRateLimitOptions } from '../src/index.js';

/** A Fastify factory of either major, seen through Fastify 5's types. */
export type FastifyFactory = (options?: Record<string, unknown>) => FastifyInstance;

/** Both supported Fastify majors, as `describe.each` rows: [name, factory]. */
export const FASTIFY_MAJORS: [string, FastifyFactory][] = [
  ['Fastify 5', fastify as FastifyFactory],
  ['Fastify 4', fastify4 as FastifyFactory],
];

/** A list for the apps a test creates: each is closed after the test. */
export function closedAfterEach(): FastifyInstance[] {
  const open: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });
  return open;
}

/** Adds the testkit's app contract: GET /ping, GET /items/:id, GET /slow?ms=N. */
export function addConformanceRoutes(app: FastifyInstance): void {
  app.get('/ping', async (_request, reply) => reply.type('text/plain').send('pong'));
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.get('/info', async (request) => ({ rateLimit: request.rateLimit ?? null }));
  app.get('/status/:code', async (request, reply) =>
    reply
      .code(Number((request.params as { code: string }).code))
      .type('text/plain')
      .send('status'),
  );
  app.get('/slow', (request, reply) => {
    // Ends early when the client goes away, so no timer outlives the test.
    const timer = setTimeout(() => reply.type('text/plain').send('slow'), Number((request.query as { ms?: string }).ms ?? 100));
    reply.raw.once('close', () => clearTimeout(timer));
  });
}

/** Listens on an ephemeral loopback port. */
export async function listen(app: FastifyInstance): Promise<RunningApp> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** The conformance app on a given Fastify major. */
export async function startFastifyApp(fastify: FastifyFactory, options: RateLimitOptions, variant: AppVariant = {}): Promise<RunningApp> {
  const app = fastify();
  const errorResponseBuilder: FastifyRateLimitOptions['errorResponseBuilder'] =
    variant.refusalHook === 'custom'
      ? (_request, context) => conformanceRefusalBody(context)
      : variant.refusalHook === 'throws'
        ? brokenRefusalHook
        : undefined;
  await app.register(aurumRateLimit, { ...(options as FastifyRateLimitOptions), errorResponseBuilder });
  addConformanceRoutes(app);
  return listen(app);
}

import type { RateLimitOptions } from '@aurum/ratelimit-core';
import { type AppVariant, brokenRefusalHook, conformanceRefusalBody, type RunningApp } from '@aurum/ratelimit-testkit';
import { All, Controller, Get, Header, HttpException, type INestApplication, Module, NotFoundException, Param, Query, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { RateLimitInfo, RateLimitModule, type RateLimitModuleOptions } from '../src/index.js';

export type Platform = 'express' | 'fastify';

/** The conformance app's routes: GET /ping, /items/:id, /slow?ms=N. */
@Controller()
export class ConformanceController {
  @Get('ping')
  @Header('Content-Type', 'text/plain')
  ping(): string {
    return 'pong';
  }

  @Get('items/:id')
  item(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Get('info')
  info(@RateLimitInfo() rateLimit: RateLimitInfo | undefined): { rateLimit: RateLimitInfo | null } {
    return { rateLimit: rateLimit ?? null };
  }

  @Get('status/:code')
  @Header('Content-Type', 'text/plain')
  status(@Param('code') code: string): never {
    throw new HttpException('status', Number(code));
  }

  @Get('slow')
  @Header('Content-Type', 'text/plain')
  async slow(@Query('ms') ms?: string): Promise<string> {
    await new Promise((r) => setTimeout(r, Number(ms ?? 100)));
    return 'slow';
  }
}

/**
 * Registered last, so that requests no other route matches (odd spellings of a path, unknown
 * paths) still pass the global guard: limited and counted, then answered 404.
 */
@Controller()
export class NotFoundController {
  @All('*')
  notFound(): never {
    throw new NotFoundException();
  }
}

/** Creates, starts (127.0.0.1, ephemeral port) and wraps a Nest app on the given platform. */
export async function startNest(
  platform: Platform,
  module: Type,
  configure?: (app: INestApplication) => void,
): Promise<RunningApp & { app: INestApplication }> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(module, adapter, { logger: false, abortOnError: false, forceCloseConnections: true });
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** The testkit's app: the limiter global, the admin routes served. */
export function startConformanceApp(platform: Platform, options: RateLimitOptions, variant: AppVariant = {}): Promise<RunningApp> {
  const exceptionFactory: RateLimitModuleOptions['exceptionFactory'] =
    variant.refusalHook === 'custom'
      ? (info) => new HttpException(conformanceRefusalBody(info), info.status)
      : variant.refusalHook === 'throws'
        ? brokenRefusalHook
        : undefined;
  // Nest does more work per request than bare Express; on a loaded 2-core machine a Redis round
  // trip can then exceed the 100 ms default and be decided by the memory fallback, which the
  // suite's exact counts would see. Resilience has its own tests; here the timeout is relaxed.
  const moduleOptions: RateLimitModuleOptions = {
    storeTimeoutMs: 1000,
    ...(options as RateLimitModuleOptions),
    global: true,
    adminRoutes: true,
    ...(exceptionFactory && { exceptionFactory }),
  };
  @Module({ imports: [RateLimitModule.forRoot(moduleOptions)], controllers: [ConformanceController, NotFoundController] })
  class ConformanceModule {}
  return startNest(platform, ConformanceModule);
}

import type { HttpResponse } from '@aurum/ratelimit-core/adapter';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  HttpException,
  type INestApplication,
  Injectable,
  Module,
  UseGuards,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { RateLimitException, RateLimitGuard, RateLimitModule } from '../src/index.js';
import { base, get, PLATFORMS, serve } from './helpers.js';

const tight = { ...base, tiers: { free: { burstSize: 1 } } };
const thrown: RateLimitException[] = [];

/** Records what it throws; everything else is the stock guard. */
@Injectable()
class RecordingGuard extends RateLimitGuard {
  protected override throwRateLimitException(context: ExecutionContext, response: HttpResponse): never {
    try {
      super.throwRateLimitException(context, response);
    } catch (error) {
      thrown.push(error as RateLimitException);
      throw error;
    }
  }
}

@Controller()
class PingController {
  @Get('ping')
  @UseGuards(RecordingGuard)
  ping(): string {
    return 'pong';
  }
}

function appModule(options: object) {
  @Module({ imports: [RateLimitModule.forRoot({ ...tight, ...options })], controllers: [PingController], providers: [RecordingGuard] })
  class AppModule {}
  return AppModule;
}

/** A user's catch-all filter with its own body. */
function ownBody(app: INestApplication): ExceptionFilter {
  @Catch()
  class OwnBody implements ExceptionFilter {
    catch(exception: HttpException, host: ArgumentsHost): void {
      app.getHttpAdapter().reply(host.switchToHttp().getResponse(), { mine: true }, exception.getStatus());
    }
  }
  return new OwnBody();
}

describe.each(PLATFORMS)('refusals on %s', (platform) => {
  it.each(['aurum', 'rfc9457'] as const)('are a RateLimitException (HttpException, 429) written byte for byte (%s format)', async (problemFormat) => {
    thrown.length = 0;
    const { url } = await serve(platform, appModule({ problemFormat }));
    await get(url, '/ping');
    const denied = await get(url, '/ping', 'acme', { 'x-request-id': 'req-nest-1' });
    const [exception] = thrown;
    expect(exception).toBeInstanceOf(HttpException);
    expect(exception).toBeInstanceOf(RateLimitException);
    expect(exception?.getStatus()).toBe(429);
    expect(exception?.getResponse()).toEqual(JSON.parse(exception?.body ?? ''));
    expect(exception?.headers).toMatchObject({ 'Retry-After': '1', 'X-RateLimit-Remaining': '0' });
    expect(denied.status).toBe(429);
    expect(denied.text).toBe(exception?.body);
    expect(denied.text).toContain('req-nest-1');
    expect(denied.headers['content-type']).toMatch(problemFormat === 'aurum' ? /^application\/json/ : /^application\/problem\+json/);
    expect(denied.headers['retry-after']).toBe('1');
  });

  it("keep body and headers under a user's global filter that defers to Nest's BaseExceptionFilter", async () => {
    const { url } = await serve(platform, appModule({}), (app) => app.useGlobalFilters(new BaseExceptionFilter(app.getHttpAdapter())));
    await get(url, '/ping');
    const denied = await get(url, '/ping');
    expect(denied.status).toBe(429);
    expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');
    expect(denied.headers).toMatchObject({ 'retry-after': '1', 'x-ratelimit-remaining': '0', 'content-type': expect.stringMatching(/^application\/json/) });
  });

  it("keep the rate-limit headers under a user's global filter that writes its own body", async () => {
    const { url } = await serve(platform, appModule({}), (app) => app.useGlobalFilters(ownBody(app)));
    await get(url, '/ping');
    const denied = await get(url, '/ping');
    expect(denied.status).toBe(429);
    expect(denied.json).toEqual({ mine: true });
    expect(denied.headers).toMatchObject({ 'retry-after': '1', 'x-ratelimit-remaining': '0', 'ratelimit-policy': '"free";q=1;w=1' });
  });
});

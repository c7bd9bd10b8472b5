import { request, waitFor } from '@aurum/ratelimit-testkit';
import { Controller, Get, type INestApplication, Inject, Injectable, Module, Res } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { RateLimiter, RateLimitModule } from '../src/index.js';
import { base, CountingStore, get, PLATFORMS, serve } from './helpers.js';

/** Holds the response of /hold open until the test ends it. */
@Injectable()
class Held {
  response: unknown;
}

@Controller()
class SlotController {
  constructor(@Inject(Held) private readonly held: Held) {}

  /** Returns at once (the handler completes) but leaves the response open. */
  @Get('hold')
  hold(@Res() res: unknown): void {
    this.held.response = res;
  }

  @Get('fail')
  fail(): never {
    throw new Error('handler failed');
  }

  @Get('hang')
  hang(): Promise<never> {
    return new Promise(() => {});
  }

  @Get('ok')
  ok(): string {
    return 'ok';
  }
}

async function start(platform: (typeof PLATFORMS)[number]): Promise<{ url: string; app: INestApplication; store: CountingStore }> {
  const store = new CountingStore();
  @Module({
    imports: [RateLimitModule.forRoot({ ...base, store, global: true, overrides: { solo: { maxConcurrentRequests: 1 } } })],
    controllers: [SlotController],
    providers: [Held],
  })
  class AppModule {}
  return { ...(await serve(platform, AppModule)), store };
}

describe.each(PLATFORMS)('concurrency slot release on %s', (platform) => {
  it('is released by the interceptor when the handler completes, before the response ends, and only once', async () => {
    const { url, app, store } = await start(platform);
    const held = app.get(Held);
    const pending = get(url, '/hold', 'solo');
    await waitFor(() => held.response !== undefined, 2000, 'handler ran');
    await waitFor(() => store.releases === 1, 2000, 'released on handler completion');
    expect((await get(url, '/ok', 'solo')).status).toBe(200);
    app.getHttpAdapter().reply(held.response, 'held', 200);
    expect((await pending).text).toBe('held');
    await waitFor(() => store.releases >= 2, 2000, 'second request released');
    await new Promise((r) => setTimeout(r, 50));
    expect(store.releases).toBe(2);
  });

  it('is released when the handler throws', async () => {
    const { url, store } = await start(platform);
    expect((await get(url, '/fail', 'solo')).status).toBe(500);
    await waitFor(() => store.releases === 1, 2000, 'released after the error');
    expect((await get(url, '/ok', 'solo')).status).toBe(200);
  });

  it('is released when the client aborts while the handler still runs', async () => {
    const { url, store } = await start(platform);
    const aborted = await request(url, '/hang', { headers: { 'x-tenant-id': 'solo' }, abortAfterMs: 100 });
    expect(aborted.status).toBe(0);
    await waitFor(() => store.releases === 1, 2000, 'released on abort');
    expect((await get(url, '/ok', 'solo')).status).toBe(200);
  });

  it('logs a failed release with its error instead of swallowing it', async () => {
    const warnings: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (obj: Record<string, unknown>, msg?: string) => warnings.push({ obj, msg }) };
    @Module({ imports: [RateLimitModule.forRoot({ ...base, logger, global: true })], controllers: [SlotController], providers: [Held] })
    class AppModule {}
    const { url, app } = await serve(platform, AppModule);
    const err = new Error('release failed');
    vi.spyOn(app.get<RateLimiter>(RateLimiter), 'decide').mockReturnValue({ action: 'continue', headers: {}, release: () => Promise.reject(err) });
    expect((await get(url, '/ok', 'solo')).status).toBe(200);
    await waitFor(() => warnings.length > 0, 2000, 'the failed release logged');
    await new Promise((r) => setTimeout(r, 50));
    // Handler completion and the response's close both end the request: one release, one warning.
    expect(warnings).toEqual([{ obj: { err }, msg: expect.stringMatching(/releasing a concurrency slot failed/) }]);
  });
});

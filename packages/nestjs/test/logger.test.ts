/** NestJS apps hear about the limiter through Nest's Logger (issue 14), unless given a logger. */
import { Logger, Module } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimitModule } from '../src/index.js';
import { ConformanceController } from './app.js';
import { base, get, serve } from './helpers.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('logging through Nest', () => {
  it("prints the start-up summary and warnings through Nest's Logger, context AurumRateLimit", async () => {
    vi.stubEnv('AURUM_API_RATE_LIMIT_LOG_LEVEL', 'info');
    const logged: Array<[string, unknown]> = [];
    vi.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message: unknown) {
      logged.push([(this as unknown as { context?: string }).context ?? '', message]);
    });
    @Module({ imports: [RateLimitModule.forRoot({ ...base, global: true })], controllers: [ConformanceController] })
    class AppModule {}
    const { url } = await serve('express', AppModule);
    expect((await get(url, '/ping')).status).toBe(200);
    const ours = logged.filter(([context]) => context === 'AurumRateLimit');
    expect(ours).toHaveLength(1);
    expect(String(ours[0]?.[1])).toMatch(/^rate limiting ready: store memory; tiers free 5\/s burst 10/);
  });

  it('uses the logger it is given instead', async () => {
    const info = vi.fn();
    const spy = vi.spyOn(Logger.prototype, 'log');
    const logger = { debug: () => {}, info, warn: () => {}, error: () => {} };
    @Module({ imports: [RateLimitModule.forRoot({ ...base, global: true, logger })], controllers: [ConformanceController] })
    class AppModule {}
    await serve('express', AppModule);
    expect(info).toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/^rate limiting ready/));
    expect(spy.mock.contexts.filter((c) => (c as { context?: string }).context === 'AurumRateLimit')).toHaveLength(0);
  });
});

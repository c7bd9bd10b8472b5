import { request } from '@aurum/ratelimit-testkit';
import { Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { RateLimitModule } from '../src/index.js';
import { ConformanceController } from './app.js';
import { base, decisions, get, PLATFORMS, serve } from './helpers.js';

const token = 'nest-admin-token-0123456789';
const auth = { authorization: `Bearer ${token}` };

describe.each(PLATFORMS)('admin routes on %s', (platform) => {
  it('are not served unless adminRoutes is set', async () => {
    @Module({ imports: [RateLimitModule.forRoot({ ...base, global: true, admin: { token } })], controllers: [ConformanceController] })
    class AppModule {}
    const { url } = await serve(platform, AppModule);
    expect((await request(url, '/admin/ratelimit/health', { headers: auth })).status).toBe(404);
  });

  it('take their prefix from async options, absolute (the global prefix does not apply), and see the app traffic', async () => {
    const { events, observer } = decisions();
    @Module({
      imports: [
        RateLimitModule.forRootAsync({
          useFactory: async () => ({ ...base, global: true, adminRoutes: true, observer, admin: { token, prefix: '/internal/limits' } }),
        }),
      ],
      controllers: [ConformanceController],
    })
    class AppModule {}
    const { url } = await serve(platform, AppModule, (app) => app.setGlobalPrefix('api'));
    for (let i = 0; i < 3; i++) expect((await get(url, '/api/ping', 'seen-tenant')).status).toBe(200);
    expect(events[0]?.route).toBe('/api/ping');
    const status = await request(url, '/internal/limits/tenants/seen-tenant', { headers: auth });
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ tenantId: 'seen-tenant', remaining: 7 });
    expect((await request(url, '/internal/limits/health')).status).toBe(401);
    expect((await request(url, '/api/internal/limits/health', { headers: auth })).status).toBe(404);
  });
});

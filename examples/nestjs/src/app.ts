import { RateLimitModule, type RateLimitModuleOptions } from '@aurum/ratelimit-nestjs';
import { createPrometheusObserver } from '@aurum/ratelimit-prometheus';
import { type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { MetricsController } from './metrics.controller.js';
import { HealthController, ScenarioService, ScenariosController } from './scenarios.controller.js';

/**
 * The app module. Tenants come from X-Tenant-ID; ids starting with `ent-` are enterprise,
 * `prem-` premium, `basic-` basic, the rest free. Requests without a tenant are limited per
 * client address. The admin API is served at /admin/ratelimit, Prometheus metrics at /metrics.
 */
export function createAppModule(options: RateLimitModuleOptions = {}): Type {
  // This app's own registry (use prom-client's global `register` to serve your other metrics too).
  const registry = new Registry();
  @Module({
    imports: [
      RateLimitModule.forRoot({
        global: true,
        adminRoutes: true,
        admin: { token: process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token' },
        tierRules: [
          { pattern: 'ent-*', tier: 'enterprise' },
          { pattern: 'prem-*', tier: 'premium' },
          { pattern: 'basic-*', tier: 'basic' },
        ],
        // A tenant gets its own `tenant` label after 5 requests (at most 100 tenants do); the rest are `other`.
        observer: createPrometheusObserver({ registry, tenantLabel: { promoteAfter: 5 } }),
        ...options,
      }),
    ],
    controllers: [ScenariosController, HealthController, MetricsController],
    providers: [ScenarioService, { provide: Registry, useValue: registry }],
  })
  class AppModule {}
  return AppModule;
}

/** Creates the Nest application (not yet listening). */
export function createApp(options: RateLimitModuleOptions = {}): Promise<INestApplication> {
  return NestFactory.create(createAppModule(options), { logger: ['error', 'warn'] });
}

import { RateLimitModule, type RateLimitModuleOptions } from '@aurum/ratelimit-nestjs';
import { type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthController, ScenarioService, ScenariosController } from './scenarios.controller.js';

/**
 * The app module. Tenants come from X-Tenant-ID; ids starting with `ent-` are enterprise,
 * `prem-` premium, `basic-` basic, the rest free. Requests without a tenant are limited per
 * client address. The admin API is served at /admin/ratelimit.
 */
export function createAppModule(options: RateLimitModuleOptions = {}): Type {
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
        ...options,
      }),
    ],
    controllers: [ScenariosController, HealthController],
    providers: [ScenarioService],
  })
  class AppModule {}
  return AppModule;
}

/** Creates the Nest application (not yet listening). */
export function createApp(options: RateLimitModuleOptions = {}): Promise<INestApplication> {
  return NestFactory.create(createAppModule(options), { logger: ['error', 'warn'] });
}

import { SkipRateLimit } from '@aurum/ratelimit-nestjs';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Registry } from 'prom-client';

/** Prometheus scrapes: the registry the rate limiter's observer writes to, never rate limited. */
@Controller()
@SkipRateLimit()
export class MetricsController {
  // Explicit @Inject: the build (esbuild) emits no decorator metadata for Nest to read types from.
  constructor(@Inject(Registry) private readonly registry: Registry) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

// After: Aurum. Per-tenant tiers instead of one limit for everyone; an expensive handler costs
// more tokens (or gets its own bucket with @RateLimit({ bucket })).
import { RateLimit, RateLimitModule, SkipRateLimit } from '@aurum/ratelimit-nestjs';
import { Controller, Get, Module, Post } from '@nestjs/common';

@Controller('v1')
export class ItemsController {
  @Get('items') list() {
    return [];
  }
  @Post('exports') @RateLimit({ cost: 10 }) exportAll() {
    return { queued: true };
  }
  @Get('health') @SkipRateLimit() health() {
    return 'ok';
  }
}

@Module({
  imports: [RateLimitModule.forRoot({ global: true, tiers: { free: { requestsPerSecond: 100 / 60, burstSize: 100 } } })],
  controllers: [ItemsController],
})
export class AppModule {}

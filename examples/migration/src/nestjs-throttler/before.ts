// Before: @nestjs/throttler with a global guard and per-handler overrides.
import { Controller, Get, Module, Post } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SkipThrottle, Throttle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';

@Controller('v1')
export class ItemsController {
  @Get('items') list() {
    return [];
  }
  @Post('exports') @Throttle({ default: { limit: 10, ttl: 60_000 } }) exportAll() {
    return { queued: true };
  }
  @Get('health') @SkipThrottle() health() {
    return 'ok';
  }
}

@Module({
  imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 100 }])],
  controllers: [ItemsController],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class AppModule {}

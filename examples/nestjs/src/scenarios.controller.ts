import { RateLimit, SkipRateLimit } from '@aurum/ratelimit-nestjs';
import { Controller, Get, HttpCode, Inject, Injectable, Param, Post } from '@nestjs/common';

@Injectable()
export class ScenarioService {
  list(): Array<{ id: string; name: string }> {
    return [{ id: 'base', name: 'Baseline' }];
  }
}

/** Every route here is limited by the global guard; the decorators tune cost and bucket. */
@Controller('v1')
export class ScenariosController {
  // Explicit @Inject: the build (esbuild) emits no decorator metadata for Nest to read types from.
  constructor(@Inject(ScenarioService) private readonly scenarios: ScenarioService) {}

  @Get('scenarios')
  list(): unknown {
    return { scenarios: this.scenarios.list() };
  }

  /** Exports are expensive: 5 tokens each. */
  @Post('exports')
  @HttpCode(202)
  @RateLimit({ cost: 5 })
  export(): unknown {
    return { export: 'queued' };
  }

  /** Reports count in their own bucket, so a report burst never starves the rest of the API. */
  @Get('reports/:id')
  @RateLimit({ bucket: 'reports' })
  report(@Param('id') id: string): unknown {
    return { report: id };
  }
}

/** Health checks are never limited. */
@Controller()
@SkipRateLimit()
export class HealthController {
  @Get('healthz')
  health(): string {
    return 'ok';
  }
}

import { consoleLogger, type Logger as AurumLogger } from '@aurum/ratelimit-core';
import { logLevelFromEnv } from '@aurum/ratelimit-core/adapter';
import { Logger } from '@nestjs/common';

/**
 * The limiter's lines through Nest's `Logger` (context `AurumRateLimit`): the start-up summary as
 * `log`, breaker changes and store errors as `warn`. `AURUM_API_RATE_LIMIT_LOG_LEVEL` still
 * filters first; Nest's own log levels apply after it.
 */
export function nestLogger(logger = new Logger('AurumRateLimit')): AurumLogger {
  return consoleLogger(logLevelFromEnv(), {
    debug: (line) => logger.debug(line),
    info: (line) => logger.log(line),
    warn: (line) => logger.warn(line),
    error: (line) => logger.error(line),
  });
}

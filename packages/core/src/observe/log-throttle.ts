import type { Clock } from '../clock.js';
import type { Logger } from './logger.js';

type Level = 'warn' | 'error';

/**
 * Logs a recurring problem once per interval instead of once per request: an outage that fails
 * every call must not flood the log (or cost a log line per request). The first occurrence is
 * logged at once; later ones within the interval are counted and reported with the next line as
 * `suppressed`, alongside the latest cause.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** @default 10000 */
    private readonly intervalMs = 10_000,
  ) {}

  /** Logs `msg` under `key` unless the same key was logged less than the interval ago. */
  log(level: Level, key: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.clock.now();
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    // Keys are a handful of fixed strings per component, so the map stays tiny.
    this.last.set(key, { at: now, suppressed: 0 });
    this.logger[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  }
}

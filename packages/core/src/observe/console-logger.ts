import type { Logger } from './logger.js';

/** How much the default logger prints: each level includes the ones after it; `silent` prints nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/**
 * The default level: `info` (the start-up summary, warnings and errors), `warn` under
 * `NODE_ENV=test` so a test suite building many limiters is not flooded with summaries.
 */
export function defaultLogLevel(nodeEnv: string | undefined = process.env.NODE_ENV): LogLevel {
  return nodeEnv === 'test' ? 'warn' : 'info';
}

/** Where formatted lines go: one method per level. */
export type LineSink = Record<Exclude<LogLevel, 'silent'>, (line: string) => void>;

const CONSOLE: LineSink = {
  debug: (line) => console.debug(`aurum-ratelimit DEBUG ${line}`),
  info: (line) => console.info(`aurum-ratelimit INFO ${line}`),
  warn: (line) => console.warn(`aurum-ratelimit WARN ${line}`),
  error: (line) => console.error(`aurum-ratelimit ERROR ${line}`),
};

/**
 * A logger that prints one line per message to the console (stderr for warnings and errors):
 * `aurum-ratelimit WARN rate limit store call failed; … (store=redis err="connect ECONNREFUSED …")`.
 * The default when no `logger` is given; pass a pino logger (or your framework's) to route the
 * lines elsewhere. Adapters pass their framework's logger as `sink` (NestJS's `Logger`).
 */
export function consoleLogger(level: LogLevel = defaultLogLevel(), sink: LineSink = CONSOLE): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (obj: Record<string, unknown>, msg?: string): void => {
      if (LOG_LEVELS.indexOf(name) < rank) return;
      const fields = formatFields(obj);
      sink[name](`${msg ?? ''}${fields ? ` (${fields})` : ''}`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The level `AURUM_API_RATE_LIMIT_LOG_LEVEL` asks for, else the default: for adapters that build
 * a logger on their framework's before the manager reads its environment (a bad value is still
 * reported by the manager's configuration check).
 */
export function logLevelFromEnv(env: Record<string, string | undefined> = process.env): LogLevel {
  const value = env.AURUM_API_RATE_LIMIT_LOG_LEVEL?.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevel) : defaultLogLevel(env.NODE_ENV);
}

/** `key=value` pairs; an error shows its message and its causes' (the real reason, e.g. ECONNREFUSED). */
function formatFields(obj: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    parts.push(`${key}=${value instanceof Error ? JSON.stringify(describeError(value)) : show(value)}`);
  }
  return parts.join(' ');
}

function describeError(error: Error): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    messages.push(typeof code === 'string' && !current.message.includes(code) ? `${current.message} [${code}]` : current.message);
    current = current.cause;
  }
  return messages.join(': caused by ');
}

function show(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:/@-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserialisable]';
  }
}

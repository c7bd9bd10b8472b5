type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

/** The subset of pino's API this library calls; a pino logger (or child) fits as is. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

/** The default: logs nothing. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

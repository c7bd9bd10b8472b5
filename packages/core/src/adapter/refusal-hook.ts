import { RateLimitConfigError } from '../errors.js';
import type { Logger } from '../observe/logger.js';

/**
 * Checks an adapter's refusal hook option at start-up: absent, or a function.
 * @param signature how the hook is called, for the message (`(req, res, next, info)`)
 * @throws RateLimitConfigError naming the option when it is something else
 */
export function checkRefusalHook(name: string, hook: unknown, signature: string): void {
  if (hook !== undefined && typeof hook !== 'function')
    throw new RateLimitConfigError([{ key: name, message: `must be a function ${signature}, got ${typeof hook}` }]);
}

/**
 * Runs an adapter's refusal hook (Express and Koa `handler`, Fastify `errorResponseBuilder`,
 * NestJS `exceptionFactory`) so that a broken one costs a log line, not a 500: when it throws or
 * rejects, `fallback` sends the default refusal. The rate-limit headers are already set by then.
 * @returns the hook's promise when it returned one (settled, never rejecting), for frameworks that wait on it
 */
export function runRefusalHook(logger: Logger, name: string, hook: () => unknown, fallback: () => void): void | Promise<void> {
  const failed = (err: unknown): void => {
    logger.error({ err }, `the ${name} option threw; sending the default refusal`);
    fallback();
  };
  let result: unknown;
  try {
    result = hook();
  } catch (err) {
    failed(err);
    return;
  }
  if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
    return Promise.resolve(result).then(
      () => undefined,
      (err: unknown) => failed(err),
    );
  }
}

/** Helpers for code running inside a {@link WorkerProcess} child. */

/** Sends a message to the parent test. */
export function send(message: { type: string; [field: string]: unknown }): void {
  process.send?.(message);
}

/** The JSON config the parent passed as the first argument. */
export function config<T>(): T {
  return JSON.parse(process.argv[2] as string) as T;
}

/** Resolves on the first parent message of `type`. */
export function receive(type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if ((message as { type?: string }).type !== type) return;
      process.off('message', onMessage);
      resolve(message as Record<string, unknown>);
    };
    process.on('message', onMessage);
  });
}

/**
 * Never outlive the test: exit when the parent goes away (IPC closes) or after `maxMs`, and
 * report uncaught failures to the parent.
 */
export function guard(maxMs: number): void {
  process.on('disconnect', () => process.exit(2));
  setTimeout(() => process.exit(3), maxMs).unref();
  const fail = (err: unknown) => {
    send({ type: 'error', message: String((err as Error)?.stack ?? err) });
    setTimeout(() => process.exit(1), 50);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

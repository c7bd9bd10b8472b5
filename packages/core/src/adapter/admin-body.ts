/** The slice of a Node request stream the body reader uses (no `node:http` types in core). */
export interface BodySource {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly readableEnded?: boolean;
  readonly destroyed?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: must accept Node's EventEmitter listener signature as is
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  off(event: string, listener: (...args: any[]) => void): unknown;
  resume(): unknown;
}

/** Largest admin request body read. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/**
 * Reads an admin request's body (PUT/POST only) as text, for adapters whose framework has not
 * parsed it. Never rejects: an oversized, aborted or already consumed body is `undefined`, which
 * the admin handler answers with a 400. The stream is drained, never destroyed, so that answer
 * still reaches the client.
 */
export function readAdminBody(method: string, req: BodySource, limit = MAX_ADMIN_BODY_BYTES): Promise<string | undefined> {
  if ((method !== 'PUT' && method !== 'POST') || req.readableEnded || req.destroyed) return Promise.resolve(undefined);
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const done = (value: string | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFail);
      req.off('close', onFail);
      resolve(value);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      done(undefined);
      req.resume(); // discard the rest, as Node does with bodies nobody reads
    };
    const onEnd = () => done(Buffer.concat(chunks).toString('utf8'));
    const onFail = () => done(undefined);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onFail);
    req.on('close', onFail);
  });
}

/**
 * The admin request body: what a body parser already left on the request (`req.body`,
 * `ctx.request.body`), else the stream read with {@link readAdminBody}. Never rejects.
 */
export function adminBody(parsed: unknown, stream: BodySource, method: string): Promise<unknown> {
  return parsed !== undefined ? Promise.resolve(parsed) : readAdminBody(method, stream);
}

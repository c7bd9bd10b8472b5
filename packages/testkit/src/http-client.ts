import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A response as a client sees it: raw status, lower-case headers, body text and parsed JSON. */
export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

export interface TestRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | object;
  /** Abort the request after this many ms (resolves with status 0). */
  abortAfterMs?: number;
  /** Abort the request when this signal fires (resolves with status 0), e.g. once the server is known to hold it. */
  signal?: AbortSignal;
}

/** One HTTP request over loopback with node:http, so tests can see raw headers and abort. */
export function request(base: string, path: string, options: TestRequest = {}): Promise<TestResponse> {
  const url = new URL(base);
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) {
    headers['content-length'] = String(Buffer.byteLength(body));
    if (typeof options.body === 'object') headers['content-type'] ??= 'application/json';
  }
  return new Promise((resolve, reject) => {
    // The raw `path` is sent as written (no WHATWG normalisation), so tests can probe spellings.
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    let aborted = false;
    const abort = () => {
      aborted = true;
      req.destroy();
      resolve({ status: 0, headers: {}, text: '', json: undefined });
    };
    if (options.abortAfterMs !== undefined) setTimeout(abort, options.abortAfterMs);
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
    req.on('error', (error) => {
      if (!aborted) reject(error);
    });
    req.end(body);
  });
}

/** Waits until `check` returns true, polling every 10 ms, or throws after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

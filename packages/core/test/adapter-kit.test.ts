import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { AdminDisabledError, ClosedError, isAurumError } from '../src/index.js';
import {
  adminBody,
  assertAdminEnabled,
  countWhenDone,
  createHttpRateLimiter,
  type HttpRateLimiter,
  MAX_ADMIN_BODY_BYTES,
  mountAdmin,
  readAdminBody,
  refusalHeaders,
  releaseWhenDone,
  runRefusalHook,
  serveAdmin,
  setHeaders,
  writeResponse,
} from '../src/adapter.js';
import { FakeClock, recordingLogger, thrown } from './support.js';

const TOKEN = 'adapter-kit-token-0123456789';

/** A response that records what was written and can be closed, finished or destroyed. */
class FakeResponse extends EventEmitter {
  statusCode = 200;
  destroyed = false;
  writableFinished = false;
  readonly headers: Record<string, string> = {};
  body: string | undefined;
  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  end(body?: string): void {
    this.body = body;
  }
}

const settle = () => new Promise((r) => setImmediate(r));

function limiter(admin: false | { token: string } = { token: TOKEN }) {
  return createHttpRateLimiter({ env: false, load: { enabled: false }, clock: new FakeClock(), admin });
}

describe('writeResponse and setHeaders', () => {
  it('write status, every header and the body, then end', () => {
    const res = new FakeResponse();
    writeResponse(res, { status: 429, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, body: '{}' });
    expect(res).toMatchObject({ statusCode: 429, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, body: '{}' });
  });

  it('setHeaders leaves status and body alone', () => {
    const res = new FakeResponse();
    setHeaders(res, { 'X-RateLimit-Remaining': '9' });
    expect(res).toMatchObject({ statusCode: 200, headers: { 'X-RateLimit-Remaining': '9' }, body: undefined });
  });
});

describe('countWhenDone', () => {
  it('passes the status of a finished response, undefined for an aborted one, once', () => {
    const finished = new FakeResponse();
    const seen: Array<number | undefined> = [];
    countWhenDone(finished, (status) => seen.push(status));
    finished.statusCode = 503;
    finished.writableFinished = true;
    finished.emit('close');
    const aborted = new FakeResponse();
    countWhenDone(aborted, (status) => seen.push(status));
    aborted.emit('close');
    expect(seen).toEqual([503, undefined]);
    expect(finished.listenerCount('close') + aborted.listenerCount('close')).toBe(2);
  });

  it('counts at once a response already over', () => {
    const gone = new FakeResponse();
    gone.destroyed = true;
    const seen: Array<number | undefined> = [];
    countWhenDone(gone, (status) => seen.push(status));
    expect(seen).toEqual([undefined]);
  });
});

describe('runRefusalHook and refusalHeaders', () => {
  it('falls back, logged, when the hook throws or rejects; not when it works', async () => {
    const log = recordingLogger();
    const fallback = vi.fn();
    runRefusalHook(log.logger, 'handler', () => 'fine', fallback);
    expect(fallback).not.toHaveBeenCalled();
    runRefusalHook(
      log.logger,
      'handler',
      () => {
        throw new Error('sync');
      },
      fallback,
    );
    await runRefusalHook(log.logger, 'handler', () => Promise.reject(new Error('async')), fallback);
    expect(fallback).toHaveBeenCalledTimes(2);
    expect(log.lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'the handler option threw; sending the default refusal'],
      ['error', 'the handler option threw; sending the default refusal'],
    ]);
  });

  it('refusalHeaders keeps every header but Content-Type', () => {
    const headers = { 'Retry-After': '1', 'Content-Type': 'application/json', 'X-RateLimit-Remaining': '0' };
    expect(refusalHeaders({ status: 429, headers, body: '{}' })).toEqual({ 'Retry-After': '1', 'X-RateLimit-Remaining': '0' });
  });
});

describe('releaseWhenDone', () => {
  it('releases once, when the response closes, with a single listener', async () => {
    const res = new FakeResponse();
    const release = vi.fn(async () => {});
    const free = releaseWhenDone(res, release, recordingLogger().logger);
    expect(res.listenerCount('close')).toBe(1);
    expect(release).not.toHaveBeenCalled();
    res.emit('close');
    free();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('listens with once() on a response that has no on()', () => {
    const emitter = new EventEmitter();
    const res = { destroyed: false, writableFinished: false, once: emitter.once.bind(emitter) };
    const release = vi.fn(async () => {});
    releaseWhenDone(res, release, recordingLogger().logger);
    expect(emitter.listenerCount('close')).toBe(1);
    emitter.emit('close');
    expect(release).toHaveBeenCalledTimes(1);
    expect(emitter.listenerCount('close')).toBe(0);
  });

  it('the returned function releases early, and the later close does nothing', () => {
    const res = new FakeResponse();
    const release = vi.fn(async () => {});
    releaseWhenDone(res, release, recordingLogger().logger)();
    res.emit('close');
    expect(release).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['destroyed', { destroyed: true }],
    ['finished', { writableFinished: true }],
  ])('releases at once when the response is already %s', (_name, state) => {
    const res = Object.assign(new FakeResponse(), state);
    const release = vi.fn(async () => {});
    releaseWhenDone(res, release, recordingLogger().logger);
    expect(release).toHaveBeenCalledTimes(1);
    expect(res.listenerCount('close')).toBe(0);
  });

  it('logs a failed release with its error instead of swallowing it', async () => {
    const res = new FakeResponse();
    const log = recordingLogger();
    const err = new Error('store down');
    releaseWhenDone(res, () => Promise.reject(err), log.logger);
    res.emit('close');
    await settle();
    expect(log.lines).toEqual([{ level: 'warn', obj: { err }, msg: expect.stringMatching(/releasing a concurrency slot failed/) }]);
  });
});

describe('the admin body', () => {
  const put = (body: string | undefined, headers: Record<string, string> = {}) => {
    const stream = Object.assign(new PassThrough(), { headers });
    stream.end(body);
    return stream;
  };

  it('prefers what a body parser left, and reads the stream otherwise', async () => {
    expect(await adminBody({ burstSize: 3 }, put('ignored'), 'PUT')).toEqual({ burstSize: 3 });
    expect(await adminBody(undefined, put('{"burstSize":3}'), 'PUT')).toBe('{"burstSize":3}');
  });

  it('reads only PUT and POST bodies, and gives up past the limit', async () => {
    expect(await readAdminBody('GET', put('x'))).toBeUndefined();
    expect(await readAdminBody('POST', put('x'.repeat(MAX_ADMIN_BODY_BYTES + 1)))).toBeUndefined();
    expect(await readAdminBody('PUT', put('{}', { 'content-length': String(MAX_ADMIN_BODY_BYTES + 1) }))).toBeUndefined();
  });
});

describe('serveAdmin', () => {
  it('answers requests under the admin prefix, reading the body from the stream', async () => {
    const { admin, manager } = limiter();
    const stream = Object.assign(new PassThrough(), { headers: {} });
    stream.end('{"burstSize":4}');
    const response = await serveAdmin(admin, {
      method: 'PUT',
      path: '/admin/ratelimit/tenants/kit/override',
      headers: { authorization: `Bearer ${TOKEN}` },
      stream,
    });
    expect(response?.status).toBe(200);
    expect(manager.getTenantOverride('kit')).toMatchObject({ burstSize: 4 });
    await manager.close();
  });

  it('leaves every other request, and its body, alone', async () => {
    const { admin, manager } = limiter();
    const stream = Object.assign(new PassThrough(), { headers: {} });
    stream.end('app data');
    expect(await serveAdmin(admin, { method: 'POST', path: '/orders', headers: {}, stream })).toBeUndefined();
    expect(await serveAdmin(undefined, { method: 'GET', path: '/admin/ratelimit/health', headers: {}, stream })).toBeUndefined();
    expect(String(stream.read())).toBe('app data');
    await manager.close();
  });
});

describe('assertAdminEnabled', () => {
  it('returns the admin handler', async () => {
    const enabled = limiter();
    expect(assertAdminEnabled(enabled)).toBe(enabled.admin);
    await enabled.manager.close();
  });

  it('throws AdminDisabledError, a TypeError with a stable code, for admin: false', async () => {
    const disabled = limiter(false);
    const error = thrown(() => assertAdminEnabled(disabled));
    expect(error).toBeInstanceOf(AdminDisabledError);
    expect(error).toBeInstanceOf(TypeError);
    expect(isAurumError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_AURUM_ADMIN_DISABLED',
      message: 'the admin API is disabled (admin: false); nothing to mount at /admin/ratelimit',
      docs: expect.stringMatching(/error-codes\.md#err-aurum-admin-disabled$/),
    });
    await disabled.manager.close();
  });
});

describe('mountAdmin', () => {
  const isClosed = (l: HttpRateLimiter) =>
    l.manager.getTenantStatus('probe').then(
      () => false,
      (e: unknown) => e instanceof ClosedError,
    );

  it('leaves a shared limiter to its owner', async () => {
    const shared = limiter();
    const build = vi.fn(() => limiter());
    const mount = mountAdmin(shared, build);
    expect(mount).toMatchObject({ limiter: shared, admin: shared.admin });
    await mount.close();
    expect(build).not.toHaveBeenCalled();
    expect(await isClosed(shared)).toBe(false);
    await shared.close();
  });

  it('owns the limiter it builds: close() closes it', async () => {
    const mount = mountAdmin(undefined, () => limiter());
    expect(await isClosed(mount.limiter)).toBe(false);
    await mount.close();
    expect(await isClosed(mount.limiter)).toBe(true);
  });

  it('closes a limiter it built without an admin API before throwing', async () => {
    let built: HttpRateLimiter | undefined;
    expect(() => mountAdmin(undefined, () => (built = limiter(false)))).toThrow(AdminDisabledError);
    await settle();
    expect(await isClosed(built as HttpRateLimiter)).toBe(true);
    const shared = limiter(false);
    expect(() => mountAdmin(shared, () => limiter())).toThrow(AdminDisabledError);
    expect(await isClosed(shared)).toBe(false);
    await shared.close();
  });
});

/**
 * Hearing about outages (issue 14): without a `logger`, a manager prints a start-up summary and
 * its warnings to the console, a store that never connected says why (the connection error, not
 * a symptom), each recurring problem once per interval, at the level AURUM_API_RATE_LIMIT_LOG_LEVEL asks.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleLogger, createRateLimitManager, RateLimitConfigError } from '../src/index.js';
import { logLevelFromEnv } from '../src/adapter.js';
import { FakeClock, ScriptedStore, thrown } from './support.js';

function captureConsole() {
  const lines: string[] = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
  }
  return lines;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('consoleLogger', () => {
  it('prints one line per message at or above its level, with the fields', () => {
    const lines = captureConsole();
    const log = consoleLogger('warn');
    log.info({ a: 1 }, 'not shown');
    log.warn({ store: 'redis', n: 3, note: 'two words' }, 'store failed');
    log.error({}, 'broken');
    expect(lines).toEqual(['aurum-ratelimit WARN store failed (store=redis n=3 note="two words")', 'aurum-ratelimit ERROR broken']);
  });

  it('shows an error with its causes and code: the real reason, not only the symptom', () => {
    const lines = captureConsole();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
    consoleLogger('info').warn({ err: new Error('redis unavailable', { cause: refused }) }, 'call failed');
    expect(lines).toEqual(['aurum-ratelimit WARN call failed (err="redis unavailable: caused by connect ECONNREFUSED 127.0.0.1:6390")']);
  });

  it('prints nothing when silent', () => {
    const lines = captureConsole();
    const log = consoleLogger('silent');
    log.error({}, 'x');
    expect(lines).toEqual([]);
  });

  it('takes its default level from AURUM_API_RATE_LIMIT_LOG_LEVEL, else info (warn under NODE_ENV=test)', () => {
    expect(logLevelFromEnv({ AURUM_API_RATE_LIMIT_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(logLevelFromEnv({ NODE_ENV: 'production' })).toBe('info');
    expect(logLevelFromEnv({ NODE_ENV: 'test' })).toBe('warn');
  });
});

describe('the default logger of a manager', () => {
  it('logs a one-line start-up summary at info: store, failure handling, tiers', async () => {
    vi.stubEnv('AURUM_API_RATE_LIMIT_LOG_LEVEL', 'info');
    const lines = captureConsole();
    const clock = new FakeClock();
    const m = createRateLimitManager({ store: new ScriptedStore(clock), clock, fallbackShare: 4, load: { enabled: false } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aurum-ratelimit INFO rate limiting ready: store scripted, on failure memory at 1\/4 of each quota, breaker at 50% of 5\+ calls/);
    expect(lines[0]).toContain('tiers free 5/s burst 10, basic 20/s burst 40, premium 100/s burst 200, enterprise 500/s burst 1000');
    await m.close();
  });

  it('says so, with the connection error, when the shared store never connected at boot (silent before)', async () => {
    vi.stubEnv('AURUM_API_RATE_LIMIT_LOG_LEVEL', 'warn');
    const lines = captureConsole();
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    store.starting = true;
    store.whenConnected = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }));
    const m = createRateLimitManager({ store, clock, fallbackShare: 3, load: { enabled: false } });
    for (let i = 0; i < 5; i++) expect((await m.checkRateLimit('acme')).metadata.source).toBe('fallback');
    expect(lines).toEqual([
      'aurum-ratelimit WARN rate limit store has not connected; deciding from the fallback (1/3 of each quota) until it does (store=scripted err="connect ECONNREFUSED 127.0.0.1:6390")',
    ]);
    clock.advance(10_000);
    await m.checkRateLimit('acme');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('suppressed=4');
    await m.close();
  });

  it('logs breaker transitions and store errors at warn', async () => {
    vi.stubEnv('AURUM_API_RATE_LIMIT_LOG_LEVEL', 'warn');
    const lines = captureConsole();
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    store.mode = 'fail';
    const m = createRateLimitManager({ store, clock, load: { enabled: false } });
    for (let i = 0; i < 6; i++) await m.checkRateLimit('acme');
    expect(
      lines.some((l) => l.startsWith('aurum-ratelimit WARN rate limit store call failed; deciding from the fallback') && l.includes('primary consume failed')),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('aurum-ratelimit WARN rate limit circuit breaker open'))).toBe(true);
    await m.close();
  });

  it('refuses an unknown level', () => {
    expect(thrown(() => createRateLimitManager({ env: { AURUM_API_RATE_LIMIT_LOG_LEVEL: 'loud' } }))).toBeInstanceOf(RateLimitConfigError);
  });

  it('uses the logger it is given instead', async () => {
    const lines = captureConsole();
    const seen: string[] = [];
    const logger = { debug: () => {}, info: (_: object, msg?: string) => seen.push(msg ?? ''), warn: () => {}, error: () => {} };
    const m = createRateLimitManager({ env: false, logger, load: { enabled: false } });
    expect(seen[0]).toMatch(/^rate limiting ready: store memory; tiers/);
    expect(lines).toEqual([]);
    await m.close();
  });
});

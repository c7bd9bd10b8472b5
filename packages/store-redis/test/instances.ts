/** In-process "instances" (a manager on its own RedisStore and connection) for the integration tests. */
import { createRateLimitManager, type RateLimitManager, type RateLimitManagerOptions } from '@aurum/ratelimit-core';
import type { Logger } from '@aurum/ratelimit-core/store';
import { Cluster, Redis } from 'ioredis';
import { type FleetOptions, LIMITER_CLIENT_OPTIONS, RedisStore, type RedisStoreOptions } from '../src/index.js';

export interface Instance {
  readonly manager: RateLimitManager;
  readonly store: RedisStore;
  readonly client: Redis | Cluster;
  /** Primary-store failures the manager saw (each would have been answered by the fallback). */
  readonly failures: unknown[];
  /** warn/error lines, and debug lines with an error (failed fleet polls, index writes, connection errors). */
  readonly problems: string[];
  close(): Promise<void>;
}

export interface InstanceOptions {
  keyPrefix: string;
  fleet?: FleetOptions | false;
  /** RedisStore's test clock; leave unset to use Redis TIME. */
  storeClock?: RedisStoreOptions['clock'];
  manager?: Omit<RateLimitManagerOptions, 'store'>;
}

/** A logger that keeps what signals trouble: warn and error lines, and debug lines carrying an error. */
export function recordingLogger(into: string[]): Logger {
  const line = (level: string) => (obj: Record<string, unknown>, msg?: string) => into.push(`${level}: ${msg ?? ''} ${String(obj.err ?? '')}`.trim());
  const debug = line('debug');
  return { debug: (obj, msg) => obj.err !== undefined && debug(obj, msg), info: () => {}, warn: line('warn'), error: line('error') };
}

/** Connects a new client to `target` (a redis:// URL, or a Cluster's startup nodes) and waits until it is ready. */
export async function connect(target: string | ReadonlyArray<{ host: string; port: number }>): Promise<Redis | Cluster> {
  const client =
    typeof target === 'string'
      ? new Redis(target, LIMITER_CLIENT_OPTIONS)
      : new Cluster([...target], { redisOptions: LIMITER_CLIENT_OPTIONS, enableOfflineQueue: false, enableAutoPipelining: true });
  await new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return client;
}

/** A manager on a new RedisStore with its own connection, fleet on (250 ms polls) unless told otherwise. */
export async function startInstance(target: string | ReadonlyArray<{ host: string; port: number }>, options: InstanceOptions): Promise<Instance> {
  const client = await connect(target);
  const failures: unknown[] = [];
  const problems: string[] = [];
  const logger = recordingLogger(problems);
  const store = new RedisStore({
    client,
    keyPrefix: options.keyPrefix,
    fleet: options.fleet ?? { pollIntervalMs: 250 },
    ownsClient: true,
    logger,
    ...(options.storeClock && { clock: options.storeClock }),
  });
  const manager = createRateLimitManager({
    env: false,
    load: { enabled: false },
    storeTimeoutMs: 2_000,
    logger,
    observer: { onStoreFailure: (f) => failures.push(f.error) },
    ...options.manager,
    store,
  });
  await manager.ready;
  return { manager, store, client, failures, problems, close: () => manager.close() };
}

/** Polls `check` every few ms until it is true; resolves to the time it took, rejects after `timeoutMs`. */
export async function within(timeoutMs: number, what: string, check: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

import type { Cluster, Redis } from 'ioredis';

/** An ioredis client: a single `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** ioredis connection states in which the first connection may still succeed. */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);

/**
 * Tracks whether the client is still making its first connection, so requests that arrive
 * during a cold start are not held against Redis. A connection error before the first `ready`
 * ends the start-up phase: a Redis that is really down counts as down.
 */
export class ConnectionWatch {
  private everReady: boolean;
  private failedEarly = false;
  /** Settles when the start-up phase ends: resolves on the first `ready`, rejects on an early failure. */
  readonly firstConnection: Promise<void>;

  constructor(private readonly client: RedisClient) {
    this.everReady = client.status === 'ready';
    let settle: (error?: Error) => void = () => {};
    this.firstConnection = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    // Nobody may be waiting: an unobserved rejection must not crash the process.
    this.firstConnection.catch(() => {});
    if (this.everReady) settle();
    client.once('ready', () => {
      this.everReady = true;
      settle();
    });
    const early = () => {
      if (this.everReady) return;
      this.failedEarly = true;
      settle(new Error(`Redis connection failed before it was ready (status ${client.status})`));
    };
    client.once('error', early);
    client.once('close', early);
    client.once('end', early);
    // A client that is already closing or closed will not get a first connection.
    if (!CONNECTING.has(client.status) && !this.everReady) settle(new Error(`Redis client is ${client.status}`));
  }

  get starting(): boolean {
    return !this.everReady && !this.failedEarly && CONNECTING.has(this.client.status);
  }
}

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

  constructor(private readonly client: RedisClient) {
    this.everReady = client.status === 'ready';
    client.once('ready', () => {
      this.everReady = true;
    });
    const early = () => {
      if (!this.everReady) this.failedEarly = true;
    };
    client.once('error', early);
    client.once('close', early);
    client.once('end', early);
  }

  get starting(): boolean {
    return !this.everReady && !this.failedEarly && CONNECTING.has(this.client.status);
  }
}

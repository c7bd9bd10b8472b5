import type { Cluster, Redis } from 'ioredis';

/** An ioredis client: a single `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** ioredis connection states in which the first connection may still succeed. */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);

/**
 * Tracks the client's connection for the store: whether it is still making its first
 * connection, so requests that arrive during a cold start are not held against Redis (a
 * connection error before the first `ready` ends the start-up phase: a Redis that is really down
 * counts as down), and every later `ready`, which is a reconnect.
 */
export class ConnectionWatch {
  private everReady: boolean;
  private failedEarly = false;
  private readonly reconnectListeners = new Set<() => void>();
  private readonly onReady = () => {
    if (!this.everReady) {
      this.everReady = true;
      return;
    }
    for (const listener of [...this.reconnectListeners]) {
      try {
        listener();
      } catch {
        // A broken listener must not keep the others from hearing the news.
      }
    }
  };

  constructor(private readonly client: RedisClient) {
    this.everReady = client.status === 'ready';
    // One listener for the client's lifetime, however many subscribe (removed by dispose()).
    client.on('ready', this.onReady);
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

  /** Calls `listener` on every `ready` after the first; returns an unsubscribe function. */
  onReconnect(listener: () => void): () => void {
    const entry = () => listener();
    this.reconnectListeners.add(entry);
    return () => this.reconnectListeners.delete(entry);
  }

  /** Stops listening to the client (the store is closed; the client may live on). */
  dispose(): void {
    this.client.off('ready', this.onReady);
    this.reconnectListeners.clear();
  }
}

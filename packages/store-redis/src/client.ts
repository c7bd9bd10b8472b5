import type { Cluster, Redis } from 'ioredis';

/** An ioredis client: a single `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** ioredis connection states in which the first connection may still succeed. */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);

/** How ioredis refuses a command while disconnected, without saying why (offline queue off, or closed). */
const NOT_CONNECTED = /Stream isn't writeable|Connection is closed/;

/**
 * Tracks the client's connection for the store: whether it is still making its first
 * connection, so requests that arrive during a cold start are not held against Redis (a
 * connection error before the first `ready` ends the start-up phase: a Redis that is really down
 * counts as down), and every later `ready`, which is a reconnect.
 */
export class ConnectionWatch {
  private everReady: boolean;
  private failedEarly = false;
  /** Settles when the start-up phase ends: resolves on the first `ready`, rejects on an early failure. */
  readonly firstConnection: Promise<void>;
  private settleFirst: (error?: Error) => void = () => {};
  private readonly reconnectListeners = new Set<() => void>();
  /** The latest connection error since the last `ready`: the real reason commands are refused. */
  private lastError: Error | undefined;
  private readonly onError = (error: unknown) => {
    if (error instanceof Error) this.lastError = error;
  };
  private readonly onReady = () => {
    this.lastError = undefined;
    if (!this.everReady) {
      this.everReady = true;
      this.settleFirst();
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
    this.firstConnection = new Promise<void>((resolve, reject) => {
      this.settleFirst = (error) => (error ? reject(error) : resolve());
    });
    // Nobody may be waiting: an unobserved rejection must not crash the process.
    this.firstConnection.catch(() => {});
    if (this.everReady) this.settleFirst();
    // One listener for the client's lifetime, however many subscribe (removed by dispose()).
    client.on('ready', this.onReady);
    client.on('error', this.onError);
    const early = () => {
      if (this.everReady) return;
      this.failedEarly = true;
      this.settleFirst(new Error(`Redis connection failed before it was ready (status ${client.status})`));
    };
    client.once('error', early);
    client.once('close', early);
    client.once('end', early);
    // A client that is already closing or closed will not get a first connection.
    if (!CONNECTING.has(client.status) && !this.everReady) this.settleFirst(new Error(`Redis client is ${client.status}`));
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

  /**
   * The error to report for a failed command. ioredis refuses commands while disconnected with
   * "Stream isn't writeable and enableOfflineQueue options is false", which hides why it is
   * disconnected: such an error gets the latest connection error (`connect ECONNREFUSED …`) in
   * its message and as `cause`, so logs show the real reason. Other errors are returned as they are.
   */
  explain(error: unknown): unknown {
    const last = this.lastError;
    if (!last || !(error instanceof Error) || error.cause !== undefined || !NOT_CONNECTED.test(error.message)) return error;
    return new Error(`${error.message} (last connection error: ${last.message})`, { cause: last });
  }

  /** Stops listening to the client (the store is closed; the client may live on). */
  dispose(): void {
    this.client.off('ready', this.onReady);
    this.client.off('error', this.onError);
    this.reconnectListeners.clear();
  }
}

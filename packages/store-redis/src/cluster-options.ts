import type { ClusterOptions } from 'ioredis';

/**
 * ioredis `Cluster` options for a limiter, the Cluster counterpart of `LIMITER_CLIENT_OPTIONS`:
 * `new Cluster(nodes, LIMITER_CLUSTER_OPTIONS)`, spreading your own over it (TLS or auth go in
 * `redisOptions`).
 *
 * - No offline queue: a command for a slot without a reachable master fails instead of waiting.
 * - No failover or CLUSTERDOWN retry delay. ioredis would retry such a command 100 ms later (and
 *   again, up to `maxRedirections` times), which is past the store timeout (100 ms by default):
 *   the retry can never answer in time, and each request on the dead master's slots would wait
 *   the whole store timeout before the fallback decides. Failing at once hands the call to the
 *   breaker and the fallback in about a millisecond. MOVED redirections (resharding, a promoted
 *   replica) are still followed.
 * - Bounded backoff when every node is unreachable, like the single-node client.
 *
 * `redisOptions` holds only what ioredis applies to its node connections: it ignores
 * `retryStrategy` and `enableOfflineQueue` there (a lost node is never reconnected; the Cluster
 * re-reads the slots instead).
 */
export const LIMITER_CLUSTER_OPTIONS: ClusterOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: false,
  retryDelayOnFailover: 0,
  retryDelayOnClusterDown: 0,
  clusterRetryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  redisOptions: { connectTimeout: 2_000, commandTimeout: 2_000 },
};

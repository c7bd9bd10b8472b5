import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type RedisServer, startRedisServer } from './redis-server.js';

const run = promisify(execFile);

/** One line of `CLUSTER NODES`, as a live node sees the cluster. */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly port: number;
  /** The server this process started on that port, if any. */
  readonly server: RedisServer | undefined;
  readonly role: 'master' | 'replica';
  /** The raw flags, e.g. `master`, `myself`, `fail?` (suspected by the node asked), `fail` (agreed by the masters). */
  readonly flags: readonly string[];
  /** Flagged `fail` or `fail?` by the node asked. */
  readonly failing: boolean;
  /** The master's id, for a replica. */
  readonly masterId: string | undefined;
  /** Slot ranges served, `[first, last]` inclusive (masters only). */
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

/** A Redis Cluster of three masters (and optionally replicas) on loopback. */
export interface RedisCluster {
  /** Every node, masters and replicas, in start order (roles change on failover: ask {@link topology}). */
  readonly nodes: readonly RedisServer[];
  /** `{ host, port }` of every node, for `new Cluster(startupNodes)`. */
  readonly startupNodes: ReadonlyArray<{ host: string; port: number }>;
  /** `--cluster-node-timeout` of every node, ms. */
  readonly nodeTimeoutMs: number;
  /** `CLUSTER KEYSLOT key`. */
  slotOf(key: string): Promise<number>;
  /** `CLUSTER NODES` as the first node that answers sees it. */
  topology(): Promise<ClusterNodeInfo[]>;
  /**
   * The master serving `key`'s slot as the first node that answers sees it, with its `failing`
   * flag: a killed master stays the owner (failing) until a replica is promoted.
   */
  masterOf(key: string): Promise<ClusterNodeInfo | undefined>;
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** Replicas per master. @default 0 */
  replicas?: number;
  /** `--cluster-node-timeout`: how long a master may be unreachable before a replica takes over. @default 2000 */
  nodeTimeoutMs?: number;
}

/** A `redis-cli` call that gives up after `timeoutMs` (a frozen node must not hang the test). */
async function ask(node: RedisServer, args: string[], timeoutMs = 2_000): Promise<string> {
  return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(node.port), ...args], { timeout: timeoutMs })).stdout;
}

/**
 * Starts `3 × (1 + replicas)` `redis-server --cluster-enabled yes`, joins them with `redis-cli
 * --cluster create … --cluster-replicas N`, and resolves once every node reports
 * `cluster_state:ok` and knows every other, and every replica is attached and synced.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const { replicas = 0, nodeTimeoutMs = 2_000 } = options;
  const nodes: RedisServer[] = [];
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs)];
  // Replicas sync diskless; the default 5 s delay (waiting for more replicas) would only slow start-up.
  if (replicas > 0) args.push('--repl-diskless-sync-delay', '0');
  try {
    for (let i = 0; i < 3 * (1 + replicas); i++) nodes.push(await startRedisServer({ args }));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      while (!(await isSettled(node, nodes.length, replicas))) {
        if (Date.now() > deadline) throw new Error(`Redis Cluster did not settle (node ${node.port}: state ok, every node known, replicas synced)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }

  const topology = async (): Promise<ClusterNodeInfo[]> => {
    for (const node of nodes) {
      const text = await ask(node, ['CLUSTER', 'NODES']).catch(() => undefined);
      if (text !== undefined) return parseClusterNodes(text, nodes);
    }
    throw new Error('no node of the Redis Cluster answered CLUSTER NODES');
  };
  const slotOf = async (key: string): Promise<number> => {
    for (const node of nodes) {
      const text = await ask(node, ['CLUSTER', 'KEYSLOT', key]).catch(() => undefined);
      if (text !== undefined) return Number(text.trim());
    }
    throw new Error('no node of the Redis Cluster answered CLUSTER KEYSLOT');
  };
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    nodeTimeoutMs,
    slotOf,
    topology,
    masterOf: async (key) => {
      const slot = await slotOf(key);
      return (await topology()).find((n) => n.role === 'master' && n.slots.some(([first, last]) => slot >= first && slot <= last));
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** One node is settled: cluster state ok, every node known; with replicas, 3 masters and `3 × replicas` replicas connected, and its own link up. */
async function isSettled(node: RedisServer, total: number, replicas: number): Promise<boolean> {
  const info = await ask(node, ['CLUSTER', 'INFO']);
  if (!info.includes('cluster_state:ok')) return false;
  if (replicas === 0) return true;
  if (!info.includes(`cluster_known_nodes:${total}`)) return false;
  const seen = parseClusterNodes(await ask(node, ['CLUSTER', 'NODES']), []);
  const masters = seen.filter((n) => n.role === 'master' && n.slots.length > 0);
  const attached = seen.filter((n) => n.role === 'replica' && masters.some((m) => m.id === n.masterId));
  if (masters.length !== 3 || attached.length !== 3 * replicas) return false;
  const replication = await ask(node, ['INFO', 'replication']);
  return replication.includes('role:master') ? replication.includes(`connected_slaves:${replicas}`) : replication.includes('master_link_status:up');
}

/**
 * Parses `CLUSTER NODES`: `<id> <ip:port@bus> <flags> <master-id|-> <ping> <pong> <epoch>
 * <link> <slot>…`. Import/migration entries (`[…]`) are not slots and are skipped.
 */
export function parseClusterNodes(text: string, servers: readonly RedisServer[]): ClusterNodeInfo[] {
  const out: ClusterNodeInfo[] = [];
  for (const line of text.split('\n')) {
    const [id, address, flagList, masterId, , , , link, ...slotFields] = line.trim().split(' ');
    if (!id || !address || !flagList || !masterId || !link) continue;
    const port = Number(address.split('@')[0]?.split(':').at(-1));
    const flags = flagList.split(',');
    const slots = slotFields
      .filter((s) => !s.startsWith('['))
      .map((s) => {
        const [first, last = first] = s.split('-').map(Number) as [number, number?];
        return [first, last] as const;
      });
    out.push({
      id,
      port,
      server: servers.find((s) => s.port === port),
      role: flags.includes('master') ? 'master' : 'replica',
      flags,
      failing: flags.includes('fail') || flags.includes('fail?'),
      masterId: masterId === '-' ? undefined : masterId,
      slots,
    });
  }
  return out;
}

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A `redis-server` this process started on loopback. Stopped by PID, never by name. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  /** PID of the running server (changes after `restart`). */
  readonly pid: number;
  /** SIGKILL: the process dies without closing connections (a crash). */
  kill(): Promise<void>;
  /** SIGSTOP: the process hangs; connections stay open, nothing answers. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Starts a new server on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Runs `redis-cli` against this server and returns its output. */
  cli(...args: string[]): Promise<string>;
  /** Stops the server (SIGKILL if it is paused) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid) process.kill(child.pid, 'SIGKILL');
});

/** A free TCP port on 127.0.0.1 (and, with `bus`, port + 10000 free too, for Cluster). */
export async function freePort(bus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (!bus) return port;
    if (
      port + 10000 <= 65535 &&
      (await listenOnce(port + 10000).then(
        () => true,
        () => false,
      ))
    )
      return port;
  }
  throw new Error('no free port pair found');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address() as { port: number };
      server.close(() => resolve(actual));
    });
  });
}

/** True when `redis-server` and `redis-cli` are on PATH. */
export async function hasRedisServer(): Promise<boolean> {
  try {
    await run('redis-server', ['--version']);
    await run('redis-cli', ['--version']);
    return true;
  } catch {
    return false;
  }
}

export interface StartRedisOptions {
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
}

/**
 * Starts `redis-server` on 127.0.0.1 (a free port unless given), without persistence, in its
 * own temporary directory, and resolves once it answers PING.
 */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  if (!(await hasRedisServer())) {
    throw new Error('redis-server is not installed: run `bash .ci/run` once, or `apt-get install redis-server`');
  }
  const port = options.port ?? (await freePort(options.args?.includes('--cluster-enabled')));
  const dir = mkdtempSync(join(tmpdir(), `aurum-redis-${port}-`));
  let child: ChildProcess;
  let stopped = false;

  const spawnServer = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', ...(options.args ?? [])],
      {
        stdio: 'ignore',
      },
    );
    live.add(child);
    child.once('exit', () => live.delete(child));
    await waitForPing(port);
  };
  const cli = async (...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
  const signal = (sig: NodeJS.Signals) => {
    if (child.pid && child.exitCode === null) process.kill(child.pid, sig);
  };
  const killNow = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    signal('SIGKILL');
    await exited;
  };

  await spawnServer();
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid as number;
    },
    kill: killNow,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    restart: async () => {
      await killNow();
      await spawnServer();
    },
    cli,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await killNow();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING']);
      if (stdout.trim() === 'PONG') return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

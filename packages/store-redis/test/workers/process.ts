import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The package folder: `--import tsx` resolves from here (tsx is a devDependency of this package). */
const PACKAGE_DIR = resolve(HERE, '../..');

/** A message a worker sends over the IPC channel. */
export interface WorkerMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

/**
 * A test worker in its own OS process: `node --conditions=@aurum/source --import tsx <file>`,
 * so `@aurum/*` imports resolve to the workspace TypeScript sources (not a stale dist). Talks
 * JSON over IPC; stopped by PID only.
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly inbox: WorkerMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private closed = false;

  constructor(file: string, config: unknown) {
    this.child = spawn(process.execPath, ['--conditions=@aurum/source', '--import', 'tsx', resolve(HERE, file), JSON.stringify(config)], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.on('message', (message) => {
      this.inbox.push(message as WorkerMessage);
      for (const wake of this.waiters) wake();
    });
    // 'close' comes after the IPC channel is drained, so no message is lost to an early exit.
    this.exited = new Promise((resolveExit) => {
      this.child.once('close', (code, signal) => {
        this.closed = true;
        for (const wake of this.waiters) wake();
        resolveExit({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The next message of `type` (earlier ones are kept for later calls); rejects on exit or timeout. */
  async next(type: string, timeoutMs: number): Promise<WorkerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type);
      if (index >= 0) return this.inbox.splice(index, 1)[0] as WorkerMessage;
      const failed = this.inbox.find((m) => m.type === 'error');
      if (failed) throw new Error(`worker ${this.pid} failed: ${String(failed.message)}`);
      if (this.closed) throw new Error(`worker ${this.pid} exited before sending '${type}': ${this.stderr.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`worker ${this.pid} sent no '${type}' within ${timeoutMs} ms: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((wake) => {
        const waiters = this.waiters;
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          wake();
        };
        const timer = setTimeout(done, left);
        waiters.add(done);
      });
    }
  }

  send(message: WorkerMessage): void {
    this.child.send(message);
  }

  /** Sends `signal` to this worker's PID (if it still runs) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, signal);
      } catch {
        // already gone
      }
    }
    await this.exited;
  }
}

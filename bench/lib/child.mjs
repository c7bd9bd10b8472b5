import { execFile, spawn } from 'node:child_process';
import { onExit } from './cleanup.mjs';

/**
 * Runs `node <args>` in a fresh process and parses the last stdout line as JSON. Rejects on a
 * non-zero exit or after `timeoutMs` (the child is killed by PID).
 */
export function runNodeJson(args, { timeoutMs = 120_000, cwd, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [...nodeArgs, ...args],
      { cwd, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`node ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-2000)}`));
          return;
        }
        const lines = stdout.trim().split('\n');
        try {
          resolve(JSON.parse(lines[lines.length - 1]));
        } catch {
          reject(new Error(`node ${args.join(' ')} printed no JSON:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
        }
      },
    );
    child.stdin?.end();
  });
}

/**
 * Starts a long-lived node child with an IPC channel. `request(msg)` sends a message with an id
 * and resolves with the reply carrying the same id. `stop()` ends it by PID.
 */
export function startNodeChild(script, args = [], { env, nodeArgs = [], readyTimeoutMs = 30_000 } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  let seq = 0;
  const pending = new Map();
  let exited = false;
  const unhook = onExit(() => {
    if (!exited) child.kill('SIGKILL');
  });
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      unhook();
      for (const { reject } of pending.values()) reject(new Error(`${script} exited (${code ?? signal})`));
      pending.clear();
      resolve({ code, signal });
    });
  });
  let readyResolve;
  let readyReject;
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  const readyTimer = setTimeout(() => readyReject(new Error(`${script} ${args.join(' ')} not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
  exitPromise.then(({ code, signal }) => readyReject(new Error(`${script} ${args.join(' ')} exited before ready (${code ?? signal})`)));
  child.on('message', (msg) => {
    if (msg?.type === 'ready') {
      clearTimeout(readyTimer);
      readyResolve(msg);
      return;
    }
    const entry = pending.get(msg?.id);
    if (!entry) return;
    pending.delete(msg.id);
    if (msg.error) entry.reject(new Error(msg.error));
    else entry.resolve(msg);
  });
  return {
    pid: child.pid,
    ready,
    request(message, timeoutMs = 120_000) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: no reply to ${message.type} after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ ...message, id });
      });
    },
    async stop() {
      clearTimeout(readyTimer);
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 3000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

/** Runs a command, resolving with stdout (rejects on failure or after `timeoutMs`). */
export function run(cmd, args, { timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

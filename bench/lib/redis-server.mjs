import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { onExit } from './cleanup.mjs';
import { sleep } from './stats.mjs';

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Starts a throwaway redis-server bound to 127.0.0.1 on a free port (no persistence).
 * `stop()` ends exactly this process, by PID. Also killed if this process exits first.
 */
export async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: 'ignore',
  });
  const pid = child.pid;
  let exited = false;
  const exitedPromise = new Promise((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const unhook = onExit(() => {
    if (!exited) {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    }
  });
  for (let i = 0; i < 200 && !(await ping(port)); i++) {
    if (exited) throw new Error('redis-server exited at start-up');
    await sleep(25);
  }
  return {
    port,
    pid,
    url: `redis://127.0.0.1:${port}`,
    /** Sends a signal to this redis-server (SIGSTOP / SIGCONT for the degraded-mode suite). */
    signal(sig) {
      if (!exited) process.kill(pid, sig);
    },
    async stop() {
      unhook();
      if (exited) return;
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        if (!exited) process.kill(pid, 'SIGKILL');
      }, 2000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

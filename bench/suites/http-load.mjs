// Paced HTTP/1.1 load generator (its own process, driven over IPC). Unlike autocannon's
// overallRate, which fires each connection's quota back to back at the top of every second, it
// spreads requests evenly: connection c sends at t0 + (c + k · connections) / rate, one request
// in flight per keep-alive connection, each connection with its own fixed header set (its tenant).
// Raw sockets and prebuilt request bytes keep the client cheap, leaving the CPU to the server.
import { connect } from 'node:net';
import { latencySummary } from '../lib/stats.mjs';

process.on('message', async (msg) => {
  if (msg.type !== 'run') return;
  try {
    process.send({ id: msg.id, ...(await paced(msg)) });
  } catch (error) {
    process.send({ id: msg.id, error: String(error?.stack ?? error) });
  }
});
process.send({ type: 'ready' });

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/**
 * @param {{ port: number, rate: number, connections: number, durationMs: number, tenants: string[], pathPrefix?: string }} opts
 *   `tenants[c % tenants.length]` is connection c's X-Tenant-ID.
 */
async function paced({ port, rate, connections, durationMs, tenants, pathPrefix }) {
  const conns = await Promise.all(Array.from({ length: connections }, (_, c) => open(port, c, tenants[c % tenants.length], pathPrefix)));
  const latencies = [];
  const statuses = {};
  let sent = 0;
  let completed = 0;
  let late = 0;
  let errors = 0;
  const step = (connections / rate) * 1000;
  const t0 = performance.now() + 20;
  const tEnd = t0 + durationMs;
  let firstDone = Number.POSITIVE_INFINITY;
  let lastDone = 0;

  const all = Promise.all(
    conns.map(
      (conn, c) =>
        new Promise((resolve) => {
          let next = t0 + (c / rate) * 1000;
          let sentAt = 0;
          const fire = () => {
            const now = performance.now();
            if (now >= tEnd || conn.dead) return resolve();
            if (now - next > 5) late++;
            sentAt = now;
            sent++;
            conn.send();
          };
          conn.onResponse = (status) => {
            const now = performance.now();
            completed++;
            latencies.push(now - sentAt);
            statuses[status] = (statuses[status] ?? 0) + 1;
            firstDone = Math.min(firstDone, now);
            lastDone = now;
            next += step;
            if (next < now) next = now; // behind schedule: send at once, but never in a burst
            const wait = next - performance.now();
            if (wait > 1) setTimeout(fire, wait - 0.5);
            else setImmediate(fire);
          };
          conn.onError = () => {
            errors++;
            resolve();
          };
          const wait = next - performance.now();
          setTimeout(fire, Math.max(0, wait));
        }),
    ),
  );
  // A server that stops answering must not hang the suite.
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, durationMs + 10_000).unref())]);
  for (const conn of conns) {
    conn.dead = true;
    conn.socket.destroy();
  }
  const { p50, p99, max } = latencySummary(latencies);
  return {
    sent,
    completed,
    statuses,
    errors,
    lateShare: sent ? late / sent : 0,
    achievedRps: completed > 1 ? ((completed - 1) / (lastDone - firstDone)) * 1000 : 0,
    p50us: p50 * 1000,
    p99us: p99 * 1000,
    maxUs: max * 1000,
  };
}

function open(port, c, tenant, pathPrefix) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const path = `${pathPrefix ?? '/v1/items/'}${c}`;
    const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Tenant-ID: ${tenant}\r\nAccept: application/json\r\n\r\n`);
    const conn = {
      socket,
      dead: false,
      onResponse: () => {},
      onError: () => {},
      send: () => socket.write(request),
    };
    let buf = Buffer.alloc(0);
    let need = -1; // body bytes still expected; -1: reading the head; -2: chunked
    let status = 0;
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (need === -1) {
          const end = buf.indexOf(CRLFCRLF);
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          buf = buf.subarray(end + 4);
          status = Number(head.slice(9, 12));
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (length) need = Number(length[1]);
          else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) need = -2;
          else need = 0;
        }
        if (need === -2) {
          const end = buf.indexOf(LAST_CHUNK);
          if (end < 0) return;
          buf = buf.subarray(end + LAST_CHUNK.length);
        } else {
          if (buf.length < need) return;
          buf = buf.subarray(need);
        }
        need = -1;
        conn.onResponse(status);
      }
    });
    socket.once('connect', () => resolve(conn));
    socket.once('error', (error) => {
      conn.dead = true;
      conn.onError(error);
      reject(error);
    });
    socket.once('close', () => {
      if (!conn.dead) {
        conn.dead = true;
        conn.onError(new Error('closed'));
      }
    });
  });
}

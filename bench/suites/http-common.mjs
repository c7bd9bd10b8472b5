// Shared by suites 3 and 4: start servers in child processes, and measure one server at a fixed
// offered rate while it reports its own CPU time for exactly the measured window.
import { fileURLToPath } from 'node:url';
import { startNodeChild } from '../lib/child.mjs';
import { sleep } from '../lib/stats.mjs';

const serverScript = fileURLToPath(new URL('./http-server.mjs', import.meta.url));
const loadScript = fileURLToPath(new URL('./http-load.mjs', import.meta.url));

export async function startServer(spec) {
  const child = startNodeChild(serverScript, [JSON.stringify(spec)]);
  const { port } = await child.ready;
  return { ...child, port, spec };
}

export async function startLoad() {
  const child = startNodeChild(loadScript);
  await child.ready;
  return child;
}

/**
 * Offers `rate` req/s for warmMs + durationMs; the server's CPU and request count are taken over
 * the last durationMs only. Returns CPU µs per request plus the client's view (latency, statuses).
 */
export async function measureAtRate(load, server, { rate, connections, warmMs, durationMs, tenants }) {
  const pending = load.request({ type: 'run', port: server.port, rate, connections, durationMs: warmMs + durationMs, tenants }, warmMs + durationMs + 30_000);
  await sleep(warmMs + 20);
  await server.request({ type: 'start' });
  await sleep(durationMs - 40);
  const s = await server.request({ type: 'stop' });
  const l = await pending;
  if (s.requests === 0) throw new Error(`${JSON.stringify(server.spec)} served no requests (${JSON.stringify(l)})`);
  return {
    cpuUsPerReq: s.cpuUs / s.requests,
    serverRps: (s.requests / s.wallMs) * 1000,
    serverCpuShare: s.cpuUs / 1000 / s.wallMs,
    p50us: l.p50us,
    p99us: l.p99us,
    statuses: l.statuses,
    lateShare: l.lateShare,
    errors: l.errors,
    requests: s.requests,
  };
}

/** Closed loop (as fast as `connections` keep-alive connections go) for a max-throughput figure. */
export async function measureMax(load, server, { connections, durationMs, tenants }) {
  const l = await load.request({ type: 'run', port: server.port, rate: 1e7, connections, durationMs, tenants }, durationMs + 30_000);
  return { maxRps: l.achievedRps, p99us: l.p99us, statuses: l.statuses };
}

/**
 * `GET /tenants` with 200 000 tracked tenants must not stall the event loop. The goal is no stall
 * over 20 ms (8-12 ms measured on a busy 2-core machine); the bound asserted leaves room for a
 * loaded CI machine. Before paging, one listing answered a 26 MB body after blocking the loop for
 * 0.4-1.6 s.
 */
import { describe, expect, it } from 'vitest';
import { createHttpRateLimiter, DEFAULT_ADMIN_PREFIX, type HttpRateLimiter } from '../src/adapter.js';

const TENANTS = 200_000;
const TOKEN = 'admin-s3cret-0123456789';
// Generous for a CI box running other test files on both cores; the code before paging stalled 0.4-1.6 s.
const MAX_STALL_MS = 100;
/**
 * getAllTenantStatus builds all 200 000 summaries, and young-generation collections promote them
 * (25-40 ms each here, a V8 cost no slicing avoids): 45-100 ms measured. Before paging: 0.3-0.7 s.
 */
const MAX_STALL_ALL_MS = 300;

/** CPU time this process has used, ms (all its threads: the main one, GC helpers, libuv's pool). */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * The longest gap between ticks of a 1 ms interval while `work` runs, less the interval itself,
 * counting only time this process was running: each gap is the smaller of the wall-clock time
 * and the CPU time used meanwhile. A loop blocked by the listing burns CPU for as long as it is
 * blocked; a process descheduled on a loaded machine stalls the wall clock but not its CPU time,
 * and that is no stall the listing caused.
 */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number; wallStallMs: number }> {
  let last = performance.now();
  let lastCpu = cpuMs();
  let stallMs = 0;
  let wallStallMs = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    const cpu = cpuMs();
    wallStallMs = Math.max(wallStallMs, now - last - 1);
    stallMs = Math.max(stallMs, Math.min(now - last, cpu - lastCpu) - 1);
    last = now;
    lastCpu = cpu;
  }, 1);
  try {
    await new Promise((resolve) => setTimeout(resolve, 5)); // the probe is ticking
    last = performance.now();
    lastCpu = cpuMs();
    const result = await work();
    await new Promise((resolve) => setTimeout(resolve, 5)); // a stall at the very end counts too
    return { result, stallMs, wallStallMs };
  } finally {
    clearInterval(probe);
  }
}

async function list(http: HttpRateLimiter, query: string) {
  const res = await http.handleAdmin({ method: 'GET', path: `${DEFAULT_ADMIN_PREFIX}/tenants${query}`, headers: { authorization: `Bearer ${TOKEN}` } });
  if (!res) throw new Error('no admin response');
  return { status: res.status, bytes: res.body.length, json: JSON.parse(res.body) as { tenants: Array<{ tenantId: string }>; nextCursor: string | null } };
}

describe('listing 200 000 tracked tenants', () => {
  it('pages GET /tenants without an event-loop stall over 100 ms (goal: 20 ms), and getAllTenantStatus without one over 300 ms', {
    timeout: 30_000,
  }, async () => {
    const http = createHttpRateLimiter({ env: false, load: { enabled: false }, admin: { token: TOKEN } });
    const m = http.manager;
    const filling = performance.now();
    for (let i = 0; i < TENANTS; i++) await m.checkRateLimit(`tenant-${i}`);
    const fillMs = performance.now() - filling;
    expect((await m.health()).activeTenants).toBe(TENANTS);

    // Unmeasured: creating 200 000 tenants in two seconds leaves young objects for the next
    // garbage collection to promote (30-40 ms here), whatever runs next. Real tenants arrive
    // over hours; the listing should not be charged for the fill.
    await m.listTenants();

    const started = performance.now();
    const {
      result: pages,
      stallMs,
      wallStallMs,
    } = await longestStall(async () => {
      const first = await list(http, '');
      const second = await list(http, `?limit=1000&cursor=${first.json.nextCursor}`);
      const third = await list(http, `?limit=1000&cursor=${second.json.nextCursor}`);
      return [first, second, third];
    });
    const listMs = performance.now() - started;
    const { result: all, stallMs: allStallMs, wallStallMs: allWallStallMs } = await longestStall(() => m.getAllTenantStatus());
    console.info(
      `[listing] ${TENANTS} tenants filled in ${fillMs.toFixed(0)} ms; 3 pages in ${listMs.toFixed(0)} ms, longest stall ${stallMs.toFixed(1)} ms ` +
        `(wall clock ${wallStallMs.toFixed(1)}); getAllTenantStatus longest stall ${allStallMs.toFixed(1)} ms (wall clock ${allWallStallMs.toFixed(1)}); ` +
        `first page ${pages[0]?.bytes} bytes`,
    );

    const [first, second, third] = pages as [Awaited<ReturnType<typeof list>>, Awaited<ReturnType<typeof list>>, Awaited<ReturnType<typeof list>>];
    expect(first.status).toBe(200);
    expect(first.json.tenants).toHaveLength(100);
    expect(second.json.tenants).toHaveLength(1000);
    expect(third.json.tenants).toHaveLength(1000);
    // The three pages are the first 2100 entries of the whole listing, in order.
    const paged = [...first.json.tenants, ...second.json.tenants, ...third.json.tenants].map((t) => t.tenantId);
    expect(all).toHaveLength(TENANTS);
    expect(paged).toEqual(all.slice(0, 2100).map((t) => t.tenantId));
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
    expect(allStallMs).toBeLessThan(MAX_STALL_ALL_MS);
  });
});

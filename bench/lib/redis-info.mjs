/** INFO cpu + commandstats, for per-request command counts and server CPU. */
export async function infoSnapshot(client) {
  const text = await client.info('commandstats');
  const cpu = await client.info('cpu');
  const byCommand = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) byCommand[m[1]] = Number(m[2]);
  const num = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { byCommand, cpuUs: (num('used_cpu_user') + num('used_cpu_sys')) * 1e6 };
}

/** Commands called between two snapshots (INFO itself excluded), and server CPU spent (µs). */
export function infoDelta(before, after) {
  const byCommand = {};
  let calls = 0;
  for (const [name, n] of Object.entries(after.byCommand)) {
    if (name === 'info') continue;
    const d = n - (before.byCommand[name] ?? 0);
    if (d > 0) {
      byCommand[name] = d;
      calls += d;
    }
  }
  return { calls, byCommand, cpuUs: after.cpuUs - before.cpuUs };
}

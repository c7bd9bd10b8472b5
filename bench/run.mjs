// Runs every benchmark in sequence. Results are printed as Markdown tables.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

console.log(`# Aurum benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}`);
await import('./memory-store.mjs');
await import('./prometheus.mjs');
if (spawnSync('redis-server', ['--version']).status === 0) await import('./redis-store.mjs');
else console.log('\n(redis-server not installed: Redis benchmarks skipped)');

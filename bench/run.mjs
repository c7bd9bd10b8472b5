// Runs every benchmark in sequence. Results are printed as Markdown tables.
import { cpus } from 'node:os';

console.log(`# Aurum benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}`);
await import('./memory-store.mjs');

/**
 * One process 'exit' hook for every child this process started (killed by PID if still running).
 * SIGTERM and SIGINT exit through it too, so a suite stopped by the runner leaves nothing behind.
 */
const hooks = new Set();
let installed = false;

export function onExit(fn) {
  if (!installed) {
    installed = true;
    for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(130));
    process.on('exit', () => {
      for (const hook of hooks) {
        try {
          hook();
        } catch {}
      }
    });
  }
  hooks.add(fn);
  return () => hooks.delete(fn);
}

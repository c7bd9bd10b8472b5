/**
 * One settled promise shared by every "done, nothing to wait for" answer (a slot released
 * synchronously, a release called twice): allocating a fresh one per request is measurable on
 * the HTTP path, and code that sees this one knows it cannot reject.
 */
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Issue 11.4: the README's core snippet, run as a user would (its own process, the default
 * manager on AURUM_API_CACHE_REDIS_URL), decides its first request on Redis and exits on its own.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS_URL_VAR } from '@aurum/ratelimit-core';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const README = resolve(PACKAGE_DIR, '../../README.md');

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** The README's TypeScript block that uses the default manager. */
function coreSnippet(): string {
  const blocks = [...readFileSync(README, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const snippet = blocks.find((b) => b.includes('getRateLimitManager()'));
  if (!snippet) throw new Error('README.md has no ts block using getRateLimitManager()');
  return snippet;
}

it('the README core snippet decides on Redis at once and exits within 2 s of starting', async () => {
  const file = resolve(PACKAGE_DIR, `test/.readme-snippet-${process.pid}.mts`);
  // Imports are evaluated first, so the marker is printed once module loading is done.
  writeFileSync(file, `console.log('__snippet_start__');\n${coreSnippet()}`);
  try {
    const child = spawn(process.execPath, ['--conditions=@aurum/source', '--import', 'tsx', file], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, NODE_OPTIONS: '', [REDIS_URL_VAR]: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let startedAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (startedAt === 0 && out.includes('__snippet_start__')) startedAt = performance.now();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((done) => child.once('close', done));
    clearTimeout(killer);
    const ranMs = performance.now() - startedAt;
    expect(code, err).toBe(0);
    expect(startedAt).toBeGreaterThan(0);
    expect(out).toMatch(/true 0 primary/);
    expect(ranMs).toBeLessThan(2_000);
  } finally {
    rmSync(file, { force: true });
  }
}, 30_000);

import express from 'express';
import { createRateLimitMiddleware } from '../../src/index.ts';
import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
const app = express();
const store = createRedisStoreFromUrl('redis://127.0.0.1:60255');
const limiter = createRateLimitMiddleware({
  store,
  observer: { onStoreFailure: (f) => console.log('FAIL', f.operation, String(f.error)), onDecision: (d) => console.log('dec', d.source) },
});
app.use(limiter);
app.get('/', (_q, r) => r.send('ok'));
const server = app.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-tenant-id': 't1' } });
    console.log('status', r.status);
  }
  server.close();
  await limiter.close?.();
  process.exit(0);
});

import { createApp } from './app.mjs';

const { server } = createApp();
server.listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  console.log(`node:http + @aurum/ratelimit-core on ${url}
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/anything`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));

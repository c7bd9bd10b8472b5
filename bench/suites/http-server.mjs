// A benchmark HTTP server in its own process. It reports its own CPU time (process.cpuUsage,
// all threads) and the requests it served between a `start` and a `stop` message.
//   node http-server.mjs '<json: { framework, variant, store, redisUrl, limit }>'
import { startApp } from './http-apps.mjs';

const spec = JSON.parse(process.argv[2]);
const app = await startApp(spec);
let served = 0;
app.server.on('request', () => {
  served++;
});
let mark;

process.on('message', (msg) => {
  if (msg.type === 'start') {
    mark = { cpu: process.cpuUsage(), served, at: performance.now() };
    process.send({ id: msg.id });
  } else if (msg.type === 'stop') {
    const cpu = process.cpuUsage(mark.cpu);
    process.send({
      id: msg.id,
      cpuUs: cpu.user + cpu.system,
      userUs: cpu.user,
      systemUs: cpu.system,
      requests: served - mark.served,
      wallMs: performance.now() - mark.at,
    });
  } else if (msg.type === 'close') {
    app.close().finally(() => {
      process.send({ id: msg.id });
      process.exit(0);
    });
  }
});
process.on('SIGTERM', () => process.exit(0));
process.send({ type: 'ready', port: app.server.address().port });

// Run by check-nest11.mjs inside a temp project holding NestJS 11 and the packed packages: the
// built @aurum/ratelimit-nestjs, loaded as ESM and CJS, limiting a Nest 11 app on both platforms.
// Plain JavaScript, so decorators are applied by hand, as compiled TypeScript would.
import { createRequire } from 'node:module';
import 'reflect-metadata';
import { RateLimit, RateLimitModule, SkipRateLimit } from '@aurum/ratelimit-nestjs';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

const esm = Object.keys(await import('@aurum/ratelimit-nestjs'))
  .sort()
  .join();
const cjs = Object.keys(createRequire(import.meta.url)('@aurum/ratelimit-nestjs'))
  .sort()
  .join();
if (esm !== cjs) throw new Error(`ESM and CJS exports differ:\n${esm}\n${cjs}`);

const method = (proto, key, decorators) => {
  let descriptor = Object.getOwnPropertyDescriptor(proto, key);
  for (const decorate of decorators.reverse()) descriptor = decorate(proto, key, descriptor) ?? descriptor;
  Object.defineProperty(proto, key, descriptor);
};
class PingController {
  ping() {
    return 'pong';
  }
  health() {
    return 'ok';
  }
}
method(PingController.prototype, 'ping', [Get('ping'), RateLimit({ cost: 2 })]);
method(PingController.prototype, 'health', [Get('health'), SkipRateLimit()]);
Controller()(PingController);
class AppModule {}
Module({ imports: [RateLimitModule.forRoot({ env: false, load: { enabled: false }, global: true, problemFormat: 'rfc9457' })], controllers: [PingController] })(
  AppModule,
);

const expect = (what, actual, wanted) => {
  if (JSON.stringify(actual) !== JSON.stringify(wanted)) throw new Error(`${what}: got ${JSON.stringify(actual)}, wanted ${JSON.stringify(wanted)}`);
};
for (const [name, adapter] of [
  ['express', () => new ExpressAdapter()],
  ['fastify', () => new FastifyAdapter()],
]) {
  const app = await NestFactory.create(AppModule, adapter(), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  try {
    const responses = [];
    for (let i = 0; i < 6; i++) responses.push(await fetch(`${base}/ping`, { headers: { 'x-tenant-id': 'nest11' } }));
    expect(
      `${name} statuses`,
      responses.map((r) => r.status),
      [200, 200, 200, 200, 200, 429],
    );
    expect(`${name} remaining`, responses[0].headers.get('x-ratelimit-remaining'), '8');
    const denied = responses[5];
    expect(`${name} content-type`, denied.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    expect(`${name} retry-after`, denied.headers.get('retry-after'), '1');
    expect(`${name} problem type`, (await denied.json()).type, 'https://iana.org/assignments/http-problem-types#quota-exceeded');
    const health = await fetch(`${base}/health`, { headers: { 'x-tenant-id': 'nest11' } });
    expect(`${name} skipped`, [health.status, health.headers.get('x-ratelimit-limit')], [200, null]);
  } finally {
    await app.close();
  }
  console.log(`ok   built package on NestJS ${createRequire(import.meta.url)('@nestjs/core/package.json').version} (${name})`);
}

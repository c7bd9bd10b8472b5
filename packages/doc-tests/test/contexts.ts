/**
 * What a fragment in the docs may assume (`context=<name>` in its info string): the app or
 * limiter the surrounding prose already built. A fragment is compiled after its context, so it
 * is checked like a whole program while the docs stay short.
 */
export const CONTEXTS: Readonly<Record<string, string>> = {
  express: `
import express from 'express';
import { createAdminRouter, createRateLimitMiddleware } from '@aurum/ratelimit-express';
const app = express();
const limiter = createRateLimitMiddleware();
`,
  fastify: `
import Fastify from 'fastify';
import { aurumRateLimit, aurumRateLimitAdmin } from '@aurum/ratelimit-fastify';
const fastify = Fastify();
await fastify.register(aurumRateLimit);
const internal = Fastify();
const token = process.env.ADMIN_TOKEN ?? 'a-long-random-admin-token';
const handler = async () => 'ok';
`,
  koa: `
import Koa from 'koa';
import { createRateLimitMiddleware } from '@aurum/ratelimit-koa';
const app = new Koa();
const limiter = createRateLimitMiddleware();
const token = process.env.ADMIN_TOKEN ?? 'a-long-random-admin-token';
const getScenario = async () => {};
const startExport = async () => {};
const search = async () => {};
`,
  prometheus: `
import { Registry } from 'prom-client';
import { createPrometheusObserver } from '@aurum/ratelimit-prometheus';
const registry = new Registry();
`,
  'custom-adapter': `
import type { ServerResponse } from 'node:http';
import type { HttpOutcome, HttpRateLimiter, HttpRequestInfo } from '@aurum/ratelimit-core/adapter';
declare const limiter: HttpRateLimiter;
declare const info: HttpRequestInfo<unknown>;
declare const res: ServerResponse;
declare function write(res: ServerResponse, outcome: HttpOutcome): void;
`,
  adapter: `
import type { RateLimitOptions } from '@aurum/ratelimit-core';
import type { RunningApp } from '@aurum/ratelimit-testkit';
declare function startMyApp(options: RateLimitOptions): Promise<RunningApp>;
`,
};

// Option names of the limiters people migrate from. Given to Aurum they are unknown options; the
// error says what to use instead and where the migration guide is, not only "did you mean".

const ERL = 'docs/migration/express-rate-limit.md';
const RLF = 'docs/migration/rate-limiter-flexible.md';
const FRL = 'docs/migration/fastify-rate-limit.md';
const NT = 'docs/migration/nestjs-throttler.md';

const WINDOW = 'quotas are token buckets per tier: set tiers.<tier>.requestsPerSecond (= limit / window seconds) and burstSize (= limit)';
const REFUSAL = "shape refusals with refusal: { status, message, body } (or your adapter's handler idiom)";
const HEADERS = 'choose header families with headers: { ietf, legacy, tenant }';
const TENANT = 'the bucket key is the tenant: tenantHeaders, or resolveTenant(req) to derive it';

/** Peer option name → what to use here, and the guide that maps it. */
const PEER_OPTIONS: Readonly<Record<string, readonly [peer: string, instead: string, guide: string]>> = {
  windowMs: ['express-rate-limit', WINDOW, ERL],
  max: ['express-rate-limit and @fastify/rate-limit', WINDOW, ERL],
  limit: ['express-rate-limit and @nestjs/throttler', WINDOW, ERL],
  timeWindow: ['@fastify/rate-limit', WINDOW, FRL],
  ttl: ['@nestjs/throttler', WINDOW, NT],
  throttlers: ['@nestjs/throttler', 'several limits are tiers (tiers, tierRules) or route buckets (routes: [{ path, bucket, quota }])', NT],
  points: ['rate-limiter-flexible', WINDOW, RLF],
  duration: ['rate-limiter-flexible', WINDOW, RLF],
  keyGenerator: ['express-rate-limit and @fastify/rate-limit', TENANT, ERL],
  getTracker: ['@nestjs/throttler', TENANT, NT],
  generateKey: ['@nestjs/throttler', TENANT, NT],
  handler: ['express-rate-limit', REFUSAL, ERL],
  message: ['express-rate-limit', REFUSAL, ERL],
  statusCode: ['express-rate-limit', REFUSAL, ERL],
  errorResponseBuilder: ['@fastify/rate-limit', REFUSAL, FRL],
  errorMessage: ['@nestjs/throttler', REFUSAL, NT],
  onExceeded: ['@fastify/rate-limit', `${REFUSAL}; to only observe refusals, use observer.onDecision`, FRL],
  standardHeaders: ['express-rate-limit', HEADERS, ERL],
  legacyHeaders: ['express-rate-limit', HEADERS, ERL],
  addHeaders: ['@fastify/rate-limit', HEADERS, FRL],
  addHeadersOnExceeding: ['@fastify/rate-limit', HEADERS, FRL],
  enableDraftSpec: ['@fastify/rate-limit', HEADERS, FRL],
  allowList: ['@fastify/rate-limit', 'let requests through with skip(req) or a route rule with skip: true', FRL],
  skipIf: ['@nestjs/throttler', 'let requests through with skip(req) or a route rule with skip: true', NT],
  ignoreUserAgents: ['@nestjs/throttler', 'let requests through with skip(req)', NT],
  storeClient: ['rate-limiter-flexible', 'pass store: createRedisStore({ client }) from @aurum/ratelimit-redis', RLF],
  redis: ['@fastify/rate-limit', 'pass store: createRedisStore({ client }) from @aurum/ratelimit-redis', FRL],
  storage: ['@nestjs/throttler', 'pass store: createRedisStore({ client }) from @aurum/ratelimit-redis', NT],
  insuranceLimiter: ['rate-limiter-flexible', 'a memory fallback is built in: fallbackStore, fallbackShare and failMode decide how it behaves', RLF],
  skipOnError: ['@fastify/rate-limit', "use failMode: 'open' (the default 'fallback' keeps limiting from memory)", FRL],
  passOnStoreError: ['express-rate-limit', "use failMode: 'open' (the default 'fallback' keeps limiting from memory)", ERL],
  keyPrefix: ['rate-limiter-flexible', 'the Redis key prefix is an option of the store: createRedisStore({ client, keyPrefix })', RLF],
  nameSpace: ['@fastify/rate-limit', 'the Redis key prefix is an option of the store: createRedisStore({ client, keyPrefix })', FRL],
  blockDuration: [
    'rate-limiter-flexible',
    'there is no separate ban: a client past its burst waits for the bucket to refill (burstSize / requestsPerSecond)',
    RLF,
  ],
  ban: ['@fastify/rate-limit', 'there is no separate ban: a client past its burst waits for the bucket to refill (burstSize / requestsPerSecond)', FRL],
  requestPropertyName: ['express-rate-limit', 'the decision is req.rateLimit (Express), request.rateLimit (Fastify), ctx.state.rateLimit (Koa)', ERL],
};

/** The message for an unknown top-level option that another limiter uses, if `key` is one. */
export function peerOptionMessage(key: string): string | undefined {
  const entry = Object.hasOwn(PEER_OPTIONS, key) ? PEER_OPTIONS[key] : undefined;
  if (entry === undefined) return undefined;
  const [peer, instead, guide] = entry;
  return `is an option of ${peer}, not of Aurum: ${instead} (see ${guide})`;
}

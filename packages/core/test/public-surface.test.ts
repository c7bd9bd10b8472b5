/**
 * The public surface of the core, one list per entry point (docs/api-surface.md). A name added
 * to or removed from an entry fails here until this list, the doc and — for a removal — a
 * changeset and a migration note agree: the surface only changes on purpose.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = [
  'AdaptiveConcurrencyOptions',
  'AdminDisabledError',
  'AdminOptions',
  'AdminRequest',
  'Admission',
  'AnonymousMode',
  'AnonymousPolicy',
  'AurumError',
  'AurumErrorCode',
  'BucketQuota',
  'BuiltinLoadSignal',
  'CIRCUIT_STATE_VALUE',
  'CheckOptions',
  'CircuitBreakerOptions',
  'CircuitState',
  'CircuitStateChange',
  'Clock',
  'ClosedError',
  'ConcurrencyEvent',
  'ConcurrencySlot',
  'ConfigIssue',
  'DEFAULT_TIER_QUOTAS',
  'DefaultTier',
  'DecisionEvent',
  'DecisionSource',
  'DenyReason',
  'ENV_PREFIX',
  'ENV_VARS',
  'FailMode',
  'HealthReport',
  'InvalidArgumentError',
  'InvalidTenantError',
  'LimitKind',
  'LimitReason',
  'ListTenantsOptions',
  'LoadEvent',
  'LoadOptions',
  'LoadReport',
  'LoadSignal',
  'LogLevel',
  'Logger',
  'consoleLogger',
  'LookupFailure',
  'MemoryStore',
  'MemoryStoreOptions',
  'ProblemFormat',
  'QuotaReport',
  'REDIS_URL_VAR',
  'RateLimitConfigError',
  'RateLimitDecision',
  'RateLimitEnvConfig',
  'RateLimitHttpOptions',
  'RateLimitInfo',
  'RateLimitManager',
  'RateLimitManagerOptions',
  'RateLimitMetadata',
  'RateLimitObserver',
  'RateLimitOptions',
  'RateLimitStore',
  'Readiness',
  'RefundOptions',
  'RefusalInfo',
  'RefusalOptions',
  'ResolveTier',
  'RouteRule',
  'StoreFailure',
  'StoreTimeoutError',
  'StoreUnavailableError',
  'Subject',
  'TIERS',
  'TenantIdRules',
  'TenantOverride',
  'TenantPage',
  'TenantQuotaConfig',
  'NewTierQuota',
  'TierRegistry',
  'TierTable',
  'TenantStatus',
  'TenantSummary',
  'Tier',
  'TierRule',
  'Timers',
  'TrustProxy',
  'createRateLimitManager',
  'floorForBoost',
  'getRateLimitManager',
  'isAurumError',
  'isTier',
  'loadConfigFromEnv',
  'loadFactor',
  'setRateLimitManager',
];

const STORE = [
  'AdmitRequest',
  'AdmitResult',
  'BreakerPermit',
  'BucketPolicy',
  'BucketSnapshot',
  'CircuitBreaker',
  'CircuitBreakerOptions',
  'Clock',
  'ConsumeResult',
  'DecisionSource',
  'DenyReason',
  'FailMode',
  'FleetEvent',
  'FleetLoadSnapshot',
  'FleetSync',
  'LeaseResult',
  'Logger',
  'MAX_RATE',
  'MAX_TIMER_MS',
  'MAX_WINDOW_MS',
  'MIN_RATE',
  'MemoryStore',
  'MemoryStoreOptions',
  'RateLimitStore',
  'ResilientStore',
  'ResilientStoreOptions',
  'SeenTenant',
  'SourcedConsumeResult',
  'StoreFailure',
  'TakeResult',
  'Timers',
  'assertValidAdmitRequest',
  'assertValidLease',
  'assertValidRequest',
  'emissionIntervalUs',
  'gcraConsume',
  'gcraRefund',
  'gcraSnapshot',
  'gcraTakeUpTo',
  'silentLogger',
  'systemClock',
  'systemTimers',
  'unref',
];

const ADAPTER = [
  'ALL_HEADER_FAMILIES',
  'AdminHandler',
  'AdminHttpRequest',
  'AdminMount',
  'AdminRequestSource',
  'BodySource',
  'CONCURRENCY_RETRY_AFTER',
  'CountedResponse',
  'DEFAULT_ADMIN_PREFIX',
  'HTTP_OPTION_KEYS',
  'HeaderFamilies',
  'HttpOutcome',
  'HttpRateLimiter',
  'HttpRequestInfo',
  'HttpResponse',
  'LineSink',
  'MANAGER_OPTION_KEYS',
  'logLevelFromEnv',
  'MAX_ADMIN_BODY_BYTES',
  'NodeResponseLike',
  'ProblemInput',
  'ProblemKind',
  'ResolvedHttpConfig',
  'ResponseLifecycle',
  'RouteLimits',
  'adminBody',
  'assertAdminEnabled',
  'concurrencyHeaders',
  'countWhenDone',
  'createHttpRateLimiter',
  'mountAdmin',
  'parseRouteLimits',
  'pathLabel',
  'problemResponse',
  'rateLimitHeaders',
  'readAdminBody',
  'refusalHeaders',
  'releaseWhenDone',
  'runRefusalHook',
  'checkRefusalHook',
  'requestInstance',
  'serveAdmin',
  'setHeaders',
  'writeResponse',
];

/** Internals that once leaked into the root; none may come back to any entry. */
const INTERNAL = [
  'withTimeout',
  'secretsEqual',
  'bearerToken',
  'parseIp',
  'bucketKey',
  'leaseKey',
  'tenantSubject',
  'assertTenantId',
  'LoadControl',
  'ResolvedManagerConfig',
];

/** Every name an entry file exports (values and types), from its `export { … } from` statements. */
function exportedNames(entry: string): string[] {
  const text = readFileSync(new URL(`../src/${entry}.ts`, import.meta.url), 'utf8');
  expect(text, `${entry}.ts must only re-export`).not.toMatch(/export \*|export (?:const|function|class|let)/);
  const names: string[] = [];
  for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s+from/g)) {
    for (const part of (m[1] as string).split(',')) {
      const name = part.replace(/^\s*type\s+/, '').trim();
      if (name) names.push(name);
    }
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const sorted = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('public surface', () => {
  it.each([
    ['index', ROOT],
    ['store', STORE],
    ['adapter', ADAPTER],
  ] as const)('%s.ts exports exactly the reviewed names', (entry, expected) => {
    expect(exportedNames(entry)).toEqual(sorted(expected));
  });

  it('keeps internals out of every entry', () => {
    for (const entry of ['index', 'store', 'adapter']) for (const name of INTERNAL) expect(exportedNames(entry), entry).not.toContain(name);
  });

  it('is what docs/api-surface.md lists', () => {
    const doc = readFileSync(new URL('../../../docs/api-surface.md', import.meta.url), 'utf8');
    const section = (title: string) => doc.slice(doc.indexOf(title), doc.indexOf('\n## ', doc.indexOf(title) + 1));
    const named = (text: string) => new Set([...text.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1] as string));
    for (const [title, names] of [
      ['## `@aurum/ratelimit-core` —', ROOT],
      ['## `@aurum/ratelimit-core/store`', STORE],
      ['## `@aurum/ratelimit-core/adapter`', ADAPTER],
    ] as const) {
      const listed = named(section(title));
      expect(
        names.filter((n) => !listed.has(n)),
        title,
      ).toEqual([]);
    }
  });

  it('every entry loads and its values are defined', async () => {
    for (const entry of ['index', 'store', 'adapter']) {
      const mod = (await import(`../src/${entry}.ts`)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) expect(value, `${entry}.${name}`).toBeDefined();
    }
  });
});

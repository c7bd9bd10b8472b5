import type { RefusalInfo } from '@aurum/ratelimit-core';

/**
 * How the conformance app wires the adapter's own refusal hook (Express and Koa `handler`,
 * Fastify `errorResponseBuilder`, NestJS `exceptionFactory`): `custom` answers
 * `info.status` with {@link conformanceRefusalBody}; `throws` throws (the default refusal must
 * still go out).
 */
export type RefusalHookVariant = 'custom' | 'throws';

/** Variations of the conformance app beyond the core options. */
export interface AppVariant {
  readonly refusalHook?: RefusalHookVariant;
}

/** The body every adapter's `custom` refusal hook answers with: the same JSON on all four. */
export function conformanceRefusalBody(info: RefusalInfo): Record<string, unknown> {
  return { limited: true, kind: info.kind, tenant: info.tenant, remaining: info.remaining, retryAfter: info.retryAfter };
}

/** What the `throws` refusal hook throws. */
export function brokenRefusalHook(): never {
  throw new Error('conformance: a broken refusal hook');
}

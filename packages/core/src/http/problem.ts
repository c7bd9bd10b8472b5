import { randomBytes } from 'node:crypto';
import type { ProblemFormat } from './http-options.js';

/** What went wrong, as a client sees it. */
export type ProblemKind = 'rate_limited' | 'concurrency_limited' | 'load_shed' | 'invalid_tenant' | 'tenant_required' | 'unavailable';

/** A response ready for an adapter to write. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ProblemInput {
  readonly kind: ProblemKind;
  readonly format: ProblemFormat;
  readonly detail: string;
  readonly instance: string;
  /** Seconds, for 429/503. */
  readonly retryAfter?: number;
  /** Policy names for the draft's `violated-policies`. */
  readonly policies?: readonly string[];
}

const AURUM = 'https://aurum.api/errors/';
const IANA = 'https://iana.org/assignments/http-problem-types#';

const KINDS: Record<ProblemKind, { status: number; type: string; title: string; rfcType?: string; rfcTitle?: string }> = {
  rate_limited: {
    status: 429,
    type: 'rate_limit_exceeded',
    title: 'Rate Limit Exceeded',
    rfcType: `${IANA}quota-exceeded`,
    rfcTitle: 'Request cannot be satisfied as assigned quota has been exceeded',
  },
  concurrency_limited: {
    status: 429,
    type: 'concurrency_limit_exceeded',
    title: 'Concurrency Limit Exceeded',
    rfcType: `${IANA}quota-exceeded`,
    rfcTitle: 'Request cannot be satisfied as assigned quota has been exceeded',
  },
  load_shed: {
    status: 503,
    type: 'service_overloaded',
    title: 'Service Overloaded',
    rfcType: `${IANA}temporary-reduced-capacity`,
    rfcTitle: 'Request cannot be satisfied due to temporary reduced capacity',
  },
  invalid_tenant: { status: 400, type: 'invalid_tenant', title: 'Invalid Tenant' },
  tenant_required: { status: 400, type: 'tenant_required', title: 'Tenant Required' },
  unavailable: { status: 503, type: 'rate_limiter_unavailable', title: 'Rate Limiter Unavailable' },
};

/** A problem before serialisation: what `refusal.body` receives as `problem`. */
export interface ProblemDocument {
  readonly status: number;
  readonly contentType: string;
  readonly document: Record<string, unknown>;
}

/**
 * The body of a refusal: the `{"error":{…}}` document by default, or with
 * `problemFormat: 'rfc9457'` a top-level RFC 9457 problem using the IETF rate-limit draft's
 * problem types.
 */
export function problemResponse(input: ProblemInput, status?: number): HttpResponse {
  const problem = problemDocument(input, status);
  return { status: problem.status, headers: { 'Content-Type': problem.contentType }, body: JSON.stringify(problem.document) };
}

/** {@link problemResponse} before serialisation. */
export function problemDocument(input: ProblemInput, status?: number): ProblemDocument {
  const kind = KINDS[input.kind];
  const code = status ?? kind.status;
  if (input.format === 'rfc9457') {
    const body: Record<string, unknown> = {
      type: kind.rfcType ?? AURUM + kind.type,
      title: kind.rfcTitle ?? kind.title,
      status: code,
      detail: input.detail,
      instance: input.instance,
    };
    if (input.policies?.length) body['violated-policies'] = input.policies;
    if (input.retryAfter !== undefined) body.retry_after = input.retryAfter;
    return { status: code, contentType: 'application/problem+json', document: body };
  }
  const error: Record<string, unknown> = { type: AURUM + kind.type, title: kind.title, detail: input.detail };
  if (input.retryAfter !== undefined) error.retry_after = input.retryAfter;
  error.instance = input.instance;
  return { status: code, contentType: 'application/json; charset=utf-8', document: { error } };
}

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** The request id to echo as `instance`: the client's, when it is printable ASCII, else a fresh one. */
export function requestInstance(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && REQUEST_ID.test(value)) return value;
  return `req-${randomBytes(8).toString('hex')}`;
}

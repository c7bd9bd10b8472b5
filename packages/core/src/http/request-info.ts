import type { RateLimitDecision } from '../manager/decision.js';
import type { HeaderBag } from '../tenant/identify.js';
import type { HttpResponse } from './problem.js';
import type { RateLimitInfo, RefusalInfo } from './rate-limit-info.js';

/** What an adapter knows about a request. */
export interface HttpRequestInfo<Req> {
  readonly method: string;
  /** Path and query as received (`req.originalUrl`, `req.url`). */
  readonly url: string;
  /** Route pattern when the framework knows it (`/users/:id`). */
  readonly route?: string;
  /** Lower-case header names. */
  readonly headers: HeaderBag;
  /** Socket peer address. */
  readonly ip?: string;
  /** The framework's own request, handed to `resolveTenant`, `skip` and `cost`. */
  readonly raw: Req;
  /** Cost from the framework's route configuration (`@RateLimit({ cost })`, Fastify route `config`); beats the `cost` option and route rules. */
  readonly cost?: number;
  /** Separate bucket from the framework's route configuration; beats route rules. */
  readonly bucket?: string;
}

/** What the adapter must do next. */
export type HttpOutcome =
  | {
      readonly action: 'continue';
      /** Set these on the response before the handler runs. */
      readonly headers: Record<string, string>;
      readonly decision?: RateLimitDecision;
      /** Call once when the response finishes or the client aborts; idempotent. */
      readonly release?: () => Promise<void>;
      /** The decision for the handler (`req.rateLimit` and its kin); absent when nothing was decided (skipped). */
      readonly info?: RateLimitInfo;
      /**
       * With `skipFailedRequests` / `skipSuccessfulRequests`: call when the response ends, with its
       * status, or `undefined` when the client went away first (see `countWhenDone`). Idempotent.
       */
      readonly onResponse?: (status: number | undefined) => void;
    }
  | ({
      readonly action: 'respond';
      /** Present for rate and concurrency refusals (the 429s): what the adapters' refusal hooks receive. */
      readonly refusal?: RefusalInfo;
    } & HttpResponse);

// The adapter union sits above the manager: it names the manager class, so it cannot live with
// the option types config/ validates (that would close config → manager → config).
import type { RateLimitManager } from '../manager/manager.js';
import type { AnyManagerOptions, RateLimitManagerOptions } from '../manager/manager-options.js';
import type { Tier } from '../tiers.js';
import type { RateLimitHttpOptions } from './http-options.js';

/**
 * Everything an adapter accepts: a ready `manager`, or the options to build one. `T` is the tier
 * names of your own that `tiers` declares (inferred where the options are written in the call).
 */
export type RateLimitOptions<Req = unknown, T extends string = never> = RateLimitHttpOptions<Req, NoInfer<Tier | T>> &
  RateLimitManagerOptions<T> & {
    /** A manager to use; then no manager options may be given. */
    manager?: RateLimitManager;
  };

/** Adapter options with any tier names, as validation sees them (`tiers` is checked at run time). */
export type AnyRateLimitOptions<Req = unknown> = RateLimitHttpOptions<Req, string> &
  AnyManagerOptions & {
    manager?: RateLimitManager;
  };

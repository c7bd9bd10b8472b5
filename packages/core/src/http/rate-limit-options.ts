// The adapter union sits above the manager: it names the manager class, so it cannot live with
// the option types config/ validates (that would close config → manager → config).
import type { RateLimitManager } from '../manager/manager.js';
import type { RateLimitManagerOptions } from '../manager/manager-options.js';
import type { RateLimitHttpOptions } from './http-options.js';

/** Everything an adapter accepts: a ready `manager`, or the options to build one. */
export type RateLimitOptions<Req = unknown> = RateLimitHttpOptions<Req> &
  RateLimitManagerOptions & {
    /** A manager to use; then no manager options may be given. */
    manager?: RateLimitManager;
  };

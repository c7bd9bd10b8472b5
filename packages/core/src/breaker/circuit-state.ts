/** Breaker states; strings because they become metric labels and log fields. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Numeric encoding for gauges: closed 0, half_open 1, open 2. */
export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

/** Emitted on every transition. */
export interface CircuitStateChange {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /**
   * What caused it: `failures` (the failure rate over the sliding window reached
   * `failureRateThreshold`), `reset_timeout`, `reconnected` (the store reported its connection
   * back), `probe_succeeded`, `probe_failed`, `manual_reset`, or the reason given to
   * `CircuitBreaker.open`.
   */
  readonly reason: string;
  readonly at: number;
}

/**
 * Counts the tokens a store hands out and gets back, seen from the caller: what a manager can
 * have admitted from it. A manager admits no token it was not given, so over any run its
 * admissions are at most `given - returned` summed over its stores.
 */
import type { AdmitRequest, AdmitResult, ConsumeResult, RateLimitStore, TakeResult } from '@aurum/ratelimit-core/store';

export interface TokenLedger {
  /** Tokens of allowed decisions and of granted takes. */
  given: number;
  /** Tokens refunded (counted when asked: the caller gave them up, whether or not they arrived). */
  returned: number;
}

/** `store` with every token it gives or gets back counted in the returned ledger. */
export function withLedger<S extends RateLimitStore>(store: S): { store: S; ledger: TokenLedger } {
  const ledger: TokenLedger = { given: 0, returned: 0 };
  const give = <R extends ConsumeResult | undefined>(result: R, cost: number): R => {
    if (result?.allowed) ledger.given += cost;
    return result;
  };
  const counted: Partial<RateLimitStore> = {
    consume: (key, policy, cost) => store.consume(key, policy, cost).then((r) => give(r, cost)),
    consumeSync: store.consumeSync && ((key, policy, cost, ...rest) => give(store.consumeSync?.(key, policy, cost, ...rest), cost)),
    consumeAndAcquire:
      store.consumeAndAcquire &&
      ((request: AdmitRequest) =>
        (store.consumeAndAcquire as (r: AdmitRequest) => Promise<AdmitResult>)(request).then((r) => {
          give(r.decision, request.cost);
          return r;
        })),
    takeUpTo:
      store.takeUpTo &&
      ((key, policy, min, max) =>
        (store.takeUpTo as NonNullable<RateLimitStore['takeUpTo']>).call(store, key, policy, min, max).then((r: TakeResult) => {
          ledger.given += r.granted;
          return r;
        })),
    refund:
      store.refund &&
      ((key, policy, cost) => {
        ledger.returned += cost;
        return (store.refund as NonNullable<RateLimitStore['refund']>).call(store, key, policy, cost);
      }),
    refundSync:
      store.refundSync &&
      ((key, policy, cost) => {
        const done = (store.refundSync as NonNullable<RateLimitStore['refundSync']>).call(store, key, policy, cost);
        if (done) ledger.returned += cost;
        return done;
      }),
  };
  const proxy = new Proxy(store, {
    get(target, name) {
      if (name in counted) return counted[name as keyof RateLimitStore];
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, ledger };
}

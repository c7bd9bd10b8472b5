import type { Clock, Timers } from '../clock.js';
import { StoreTimeoutError } from '../errors.js';

/** A call waiting for its promise or its deadline: a link of the queue's list. */
interface Pending {
  /** Clock time (ms) after which the call has timed out. */
  readonly deadline: number;
  readonly reject: (error: unknown) => void;
  prev: Pending | undefined;
  next: Pending | undefined;
  /** In the list; past its deadline and out of the list, its rejection pending (a reply may still win); done. */
  state: 'waiting' | 'expiring' | 'settled';
}

/**
 * Per-call timeouts of one length (a store's `timeoutMs`) on one timer. All calls share the
 * length, so their deadlines come in the order the calls were made: a list in call order and a
 * timer armed for its oldest entry replace a `setTimeout`/`clearTimeout` pair per call. A call that
 * settles leaves the list at once (a doubly linked list: no search), so only calls in flight are
 * held and a settled call's promise is garbage as soon as its caller is done with it.
 *
 * A rejection waits one `setImmediate` after the timer fires: timers run before I/O in each loop
 * turn, so after a long synchronous stall a reply that already sits in the socket would otherwise
 * lose the race to its own timeout and count as a store failure.
 */
export class DeadlineQueue {
  private head: Pending | undefined;
  private tail: Pending | undefined;
  private timer: unknown;
  /** The deadline the timer was armed for. */
  private armedFor = 0;

  constructor(
    private readonly ms: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {}

  /**
   * Settles with `promise`, or rejects with {@link StoreTimeoutError} once the timeout has passed
   * since `now` (when the call started, on the queue's clock; read here unless the caller has it).
   */
  race<T>(promise: Promise<T>, now = this.clock.now()): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: now + this.ms, reject, prev: this.tail, next: undefined, state: 'waiting' };
      if (this.tail === undefined) this.head = entry;
      else this.tail.next = entry;
      this.tail = entry;
      if (this.timer === undefined) this.arm(entry.deadline, this.ms);
      promise.then(
        (value) => {
          if (this.settle(entry)) resolve(value);
        },
        (error: unknown) => {
          if (this.settle(entry)) reject(error);
        },
      );
    });
  }

  /** Calls waiting for their promise or their deadline. */
  get size(): number {
    let n = 0;
    for (let e = this.head; e !== undefined; e = e.next) n++;
    return n;
  }

  /** Marks `entry` settled and takes it out of the list; false when it already was settled. */
  private settle(entry: Pending): boolean {
    if (entry.state === 'settled') return false;
    if (entry.state === 'waiting') this.unlink(entry);
    entry.state = 'settled';
    return true;
  }

  private unlink(entry: Pending): void {
    if (entry.prev === undefined) this.head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
  }

  private arm(deadline: number, delay: number): void {
    this.armedFor = deadline;
    this.timer = this.timers.setTimeout(() => this.expire(), delay);
  }

  /** Every entry due by now times out, and the timer is armed again for the oldest one left. */
  private expire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    // Due by the deadline the timer was armed for, whatever the clock says: an injected clock
    // that does not follow the timers (a frozen test clock) must not hold a call forever.
    const cutoff = Math.max(now, this.armedFor);
    const expired: Pending[] = [];
    while (this.head !== undefined && this.head.deadline <= cutoff) {
      const entry = this.head;
      this.unlink(entry);
      entry.state = 'expiring';
      expired.push(entry);
    }
    const next = this.head;
    // Never longer than the timeout: a clock set back must not stretch a call's wait.
    if (next !== undefined) this.arm(next.deadline, Math.min(this.ms, Math.max(0, next.deadline - now)));
    if (expired.length > 0) setImmediate(() => this.timeOut(expired));
  }

  /** Rejects what timed out, unless its reply arrived in the meantime (see the class comment). */
  private timeOut(expired: readonly Pending[]): void {
    for (const entry of expired) if (this.settle(entry)) entry.reject(new StoreTimeoutError(this.ms));
  }
}

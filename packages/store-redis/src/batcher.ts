import type { QueuedDecision } from './queued-decision.js';

/** Where a decision may go: a Cluster hash slot, or `undefined` for a call of its own. */
export type SlotOf = (d: QueuedDecision) => number | undefined;

/**
 * Gathers the decisions that wait for Redis at the same moment and hands them over together, in
 * arrival order. The first decision of a batch schedules the flush with `setImmediate`: the
 * decisions of every request read in the same poll phase join it, and a lone decision still goes
 * out at the end of the current loop turn, never after a timer. A batch that reaches `maxSize`
 * goes at once. On a Cluster (`slotOf` given) a batch is split by hash slot, one call per slot.
 */
export class DecisionBatcher {
  private pending: QueuedDecision[] = [];
  private scheduled = false;
  private readonly flushScheduled = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    /** Sends one call's decisions (all in one slot), in order. */
    private readonly send: (batch: QueuedDecision[]) => void,
    private readonly maxSize: number,
    private readonly slotOf?: SlotOf,
  ) {}

  add(d: QueuedDecision): void {
    // One script call has one `now`: a test clock read at another instant starts the next call.
    if (this.pending.length > 0 && (this.pending[0] as QueuedDecision).now !== d.now) this.flush();
    this.pending.push(d);
    if (this.pending.length >= this.maxSize) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushScheduled);
    }
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    if (this.slotOf === undefined) {
      this.send(batch);
      return;
    }
    // The same key is always in the same slot, so splitting keeps every key's order.
    const bySlot = new Map<number, QueuedDecision[]>();
    for (const d of batch) {
      const slot = this.slotOf(d);
      if (slot === undefined) {
        this.send([d]);
        continue;
      }
      const group = bySlot.get(slot);
      if (group === undefined) bySlot.set(slot, [d]);
      else group.push(d);
    }
    for (const group of bySlot.values()) this.send(group);
  }
}

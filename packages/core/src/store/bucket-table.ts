/**
 * A bounded table from bucket key to GCRA state (a theoretical arrival time in µs), built for
 * the memory store's hot path: one `Map` lookup per decision, state in a `Float64Array` (no
 * number boxing, no allocation once warm), and CLOCK ("second chance") eviction at the cap:
 * recently used keys survive a flood of one-off keys at O(1) amortised cost per insert.
 */
export class BucketTable {
  private readonly index = new Map<string, number>();
  private keys: Array<string | undefined> = [];
  private tats = new Float64Array(64);
  private recent = new Uint8Array(64);
  private readonly free: number[] = [];
  private used = 0;
  private hand = 0;
  private sweepAt = 0;
  /** Live entries dropped to make room (expired ones do not count). */
  evictions = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.index.size;
  }

  /** Slot of `key`, or -1. Marks the key as recently used. */
  find(key: string): number {
    const slot = this.index.get(key);
    if (slot === undefined) return -1;
    this.recent[slot] = 1;
    return slot;
  }

  /**
   * Slot of `key`, trying `hint` first (where the caller last saw it): no hash lookup while the
   * key is still there. Identical key strings compare by reference, so the check is one compare.
   */
  findHinted(key: string, hint: number): number {
    if (hint >= 0 && this.keys[hint] === key) {
      this.recent[hint] = 1;
      return hint;
    }
    return this.find(key);
  }

  tatAt(slot: number): number {
    return this.tats[slot] as number;
  }

  update(slot: number, tatUs: number): void {
    this.tats[slot] = tatUs;
  }

  /** Adds a key (absent before), evicting one entry first when at capacity; returns its slot. */
  insert(key: string, tatUs: number, nowUs: number): number {
    if (this.index.size >= this.capacity) this.evictOne(nowUs);
    const slot = this.free.length > 0 ? (this.free.pop() as number) : this.grow();
    this.keys[slot] = key;
    this.tats[slot] = tatUs;
    // New keys start without a second chance: a one-off key (a flood) is the first to go, a key
    // used again earns its place.
    this.recent[slot] = 0;
    this.index.set(key, slot);
    return slot;
  }

  remove(slot: number): void {
    const key = this.keys[slot];
    if (key === undefined) return;
    this.index.delete(key);
    this.keys[slot] = undefined;
    this.free.push(slot);
  }

  delete(key: string): void {
    const slot = this.index.get(key);
    if (slot !== undefined) this.remove(slot);
  }

  clear(): void {
    this.index.clear();
    this.keys = [];
    this.free.length = 0;
    this.used = 0;
    this.hand = 0;
  }

  /** Drops up to `budget` expired entries, resuming where the last sweep stopped. */
  sweep(nowUs: number, budget: number): void {
    for (let n = 0; n < budget && this.used > 0; n++) {
      const slot = this.sweepAt;
      this.sweepAt = (this.sweepAt + 1) % this.used;
      if (this.keys[slot] !== undefined && (this.tats[slot] as number) <= nowUs) this.remove(slot);
      if (this.sweepAt === 0) return;
    }
  }

  private grow(): number {
    if (this.used === this.tats.length) {
      const tats = new Float64Array(Math.max(this.used + 1, Math.min(this.capacity, this.tats.length * 2)));
      tats.set(this.tats);
      const recent = new Uint8Array(tats.length);
      recent.set(this.recent);
      this.tats = tats;
      this.recent = recent;
    }
    return this.used++;
  }

  /** CLOCK: expired entries go at once; a recently used one gets a second chance. */
  private evictOne(nowUs: number): void {
    for (let scanned = 0; scanned <= 2 * this.used; scanned++) {
      const slot = this.hand;
      this.hand = (this.hand + 1) % this.used;
      if (this.keys[slot] === undefined) continue;
      if ((this.tats[slot] as number) <= nowUs) {
        this.remove(slot);
        return;
      }
      if (this.recent[slot] === 1) {
        this.recent[slot] = 0;
        continue;
      }
      this.remove(slot);
      this.evictions++;
      return;
    }
  }
}

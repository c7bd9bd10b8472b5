/**
 * A `Map` with a size cap and optional per-entry age limit; the least recently written entry
 * goes first. Reads do not refresh recency: cheap, and good enough for caches and registries.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, { value: V; at: number }>();

  constructor(
    readonly max: number,
    private readonly ttlMs = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K, now: number): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.at >= this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, now: number): void {
    this.map.delete(key);
    if (this.map.size >= this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { value, at: now });
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  /** Live entries, oldest first. */
  *entries(now: number): IterableIterator<[K, V]> {
    for (const [key, entry] of this.map) if (now - entry.at < this.ttlMs) yield [key, entry.value];
  }
}

/** Options of {@link LabelLimiter}. */
export interface LabelLimiterOptions {
  /** Most distinct values ever emitted (the allow-list not counted). */
  max: number;
  /** Values that always get their own label. */
  allow?: readonly string[];
  /** Occurrences before a value earns its own label; lower values stay `other`. */
  promoteAfter: number;
}

/** Label value for everything that did not earn its own. */
export const OTHER = 'other';

/**
 * Keeps a label's cardinality bounded: allow-listed values, plus the first `max` values that
 * occur `promoteAfter` times (heavy hitters), get their own label; everything else is `other`.
 * A label value, once emitted, stays: Prometheus series are forever, so the bound is on the
 * total ever emitted. A flood of one-off random values costs one bounded counting map.
 */
export class LabelLimiter {
  private readonly allowed: ReadonlySet<string>;
  private readonly promoted = new Set<string>();
  private readonly counts = new Map<string, number>();
  private static readonly MAX_COUNTED = 10_000;

  constructor(private readonly options: LabelLimiterOptions) {
    this.allowed = new Set(options.allow ?? []);
  }

  /** Distinct values with their own label so far (allow-list included). */
  get size(): number {
    return this.allowed.size + this.promoted.size;
  }

  label(value: string): string {
    if (this.allowed.has(value) || this.promoted.has(value)) return value;
    if (this.promoted.size >= this.options.max) return OTHER;
    const seen = (this.counts.get(value) ?? 0) + 1;
    if (seen >= this.options.promoteAfter) {
      this.counts.delete(value);
      this.promoted.add(value);
      return value;
    }
    // Forgetting all counts when the map is full keeps memory bounded; real heavy hitters
    // re-accumulate within moments, one-off values never do.
    if (this.counts.size >= LabelLimiter.MAX_COUNTED) this.counts.clear();
    this.counts.set(value, seen);
    return OTHER;
  }
}

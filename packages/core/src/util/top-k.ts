/**
 * The best `capacity` of the items offered, in a binary heap whose root is the worst one kept.
 * Offering n items costs O(n log k) time and O(k) memory, where sorting them all would cost
 * O(n log n) and O(n), in one call nothing can interrupt.
 */
export class TopK<T> {
  private readonly heap: T[] = [];

  /**
   * @param capacity most items kept
   * @param before true when `a` ranks ahead of `b`; must be a strict total order
   */
  constructor(
    readonly capacity: number,
    private readonly before: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Keeps `item` if it ranks among the best `capacity` seen so far. */
  offer(item: T): void {
    const heap = this.heap;
    if (heap.length < this.capacity) {
      heap.push(item);
      this.siftUp(heap.length - 1);
    } else if (heap.length > 0 && this.before(item, heap[0] as T)) {
      heap[0] = item;
      this.siftDown(0);
    }
  }

  /** Removes and returns the worst item kept: popping them all gives the best last. */
  popWorst(): T | undefined {
    const heap = this.heap;
    const worst = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      heap[0] = last as T;
      this.siftDown(0);
    }
    return worst;
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const item = heap[i] as T;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      // The root is the worst: a parent that ranks ahead of the item belongs below it.
      if (!this.before(heap[parent] as T, item)) break;
      heap[i] = heap[parent] as T;
      i = parent;
    }
    heap[i] = item;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i] as T;
    for (;;) {
      let worst = i;
      let worstItem = item;
      const left = 2 * i + 1;
      if (left < n && this.before(worstItem, heap[left] as T)) {
        worst = left;
        worstItem = heap[left] as T;
      }
      const right = left + 1;
      if (right < n && this.before(worstItem, heap[right] as T)) {
        worst = right;
        worstItem = heap[right] as T;
      }
      if (worst === i) break;
      heap[i] = worstItem;
      i = worst;
    }
    heap[i] = item;
  }
}

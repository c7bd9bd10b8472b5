/**
 * Metrics aggregated in plain numbers on the hot path and turned into prom-client's format only
 * when scraped. prom-client's own `labels().inc()` hashes the label set on every call, which
 * costs more than a memory-store decision; these cost an array or Map lookup.
 *
 * Each class implements what a prom-client `Registry` reads from a metric (`name`, `help`,
 * `type`, `aggregator`, `get()`, `reset()`), so they register, scrape, merge and clear like
 * native metrics.
 */

type Labels = Record<string, string>;
interface MetricValue {
  value: number;
  labels: Labels;
  metricName?: string;
}
interface MetricObject {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum' | 'average';
}

/** Separates label values inside a cell key; never part of a label value we emit. */
export const SEP = '\u0001';

abstract class Tally<Cell> {
  protected readonly cells = new Map<string, { labels: Labels; cell: Cell }>();
  abstract readonly type: MetricObject['type'];
  readonly aggregator: MetricObject['aggregator'] = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    /** Label names, in the order their values appear in a cell key (joined by {@link SEP}). */
    readonly labelNames: readonly string[],
  ) {}

  /** The cell for a key; labels are built from the key only when the cell is created. */
  protected cellFor(key: string, create: () => Cell): Cell {
    let entry = this.cells.get(key);
    if (entry === undefined) {
      const values = key.split(SEP);
      entry = { labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] ?? ''])), cell: create() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  reset(): void {
    this.cells.clear();
  }

  abstract get(): Promise<MetricObject>;

  protected plain(read: (cell: Cell) => number): MetricObject {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.cells.values()].map(({ labels, cell }) => ({ labels, value: read(cell) })),
    };
  }
}

const counterCell = () => ({ value: 0 });

/** The map under `key`, created on first use. */
function child<V>(parent: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = parent.get(key);
  if (map === undefined) {
    map = new Map();
    parent.set(key, map);
  }
  return map;
}

/** A counter keyed by its label values joined with {@link SEP}. */
export class TallyCounter extends Tally<{ value: number }> {
  readonly type = 'counter' as const;

  inc(key: string, by = 1): void {
    this.cellFor(key, counterCell).value += by;
  }

  async get(): Promise<MetricObject> {
    return this.plain((c) => c.value);
  }
}

/**
 * A counter over exactly four labels, looked up through nested maps so the hot path never builds
 * a key string (hashing a fresh string per call costs more than the rest of the update).
 */
export class TallyCounter4 extends Tally<{ value: number }> {
  readonly type = 'counter' as const;
  private readonly tree = new Map<string, Map<string, Map<string, Map<string, { value: number }>>>>();

  inc(a: string, b: string, c: string, d: string): void {
    const l1 = child(this.tree, a);
    const l2 = child(l1, b);
    const l3 = child(l2, c);
    let cell = l3.get(d);
    if (cell === undefined) {
      // Registered once per label set, so the scrape sees it.
      cell = this.cellFor(a + SEP + b + SEP + c + SEP + d, counterCell);
      l3.set(d, cell);
    }
    cell.value++;
  }

  override reset(): void {
    super.reset();
    this.tree.clear();
  }

  async get(): Promise<MetricObject> {
    return this.plain((c) => c.value);
  }
}

/** A gauge holding the latest value per label set. */
export class TallyGauge extends Tally<{ value: number }> {
  readonly type = 'gauge' as const;
  override readonly aggregator = 'average' as const;

  set(key: string, value: number): void {
    this.cellFor(key, counterCell).value = value;
  }

  async get(): Promise<MetricObject> {
    return this.plain((c) => c.value);
  }
}

/** A histogram with fixed upper bounds. */
export class TallyHistogram extends Tally<{ counts: Float64Array; sum: number; count: number }> {
  readonly type = 'histogram' as const;
  private readonly create = () => ({ counts: new Float64Array(this.bounds.length), sum: 0, count: 0 });

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  observe(key: string, value: number): void {
    const cell = this.cellFor(key, this.create);
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        cell.counts[i] = (cell.counts[i] as number) + 1;
        break;
      }
    }
    cell.sum += value;
    cell.count++;
  }

  async get(): Promise<MetricObject> {
    const values: MetricValue[] = [];
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += cell.counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

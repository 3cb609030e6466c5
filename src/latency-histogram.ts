import type { Metric, MetricValueWithName, Registry } from "prom-client";

/** One label set's observations: what the hot path keeps and calls. */
export interface LatencyCell {
  observe(seconds: number): void;
}

class Cell implements LatencyCell {
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;

  constructor(
    private readonly bounds: Float64Array,
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += seconds;
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
  }
}

/**
 * A Prometheus histogram for the Check path. prom-client's histogram builds and hashes the label set on every
 * observation; here each set of label values gets a cell the caller keeps, and an observation is a bucket
 * search and two additions. The registry reads the cells when scraped, in the histogram exposition format.
 */
export class LatencyHistogram<Label extends string> {
  private readonly cells = new Map<string, Cell>();
  private readonly bounds: Float64Array;

  constructor(
    registry: Registry,
    private readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly Label[],
    buckets: readonly number[],
  ) {
    this.bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    // The registry asks a metric only for its name, help, type and values: this is one, by that contract.
    registry.registerMetric(this.metric() as unknown as Metric);
  }

  /** The cell for one set of label values, in label order: the same object every time, so callers keep it. */
  cell(...values: string[]): LatencyCell {
    const id = values.join("\u0000");
    let cell = this.cells.get(id);
    if (!cell) {
      const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] ?? ""]));
      cell = new Cell(this.bounds, labels);
      this.cells.set(id, cell);
    }
    return cell;
  }

  private metric() {
    return {
      name: this.name,
      help: this.help,
      type: "histogram",
      aggregator: "sum",
      get: async () => ({
        name: this.name,
        help: this.help,
        type: "histogram",
        aggregator: "sum",
        values: [...this.cells.values()].flatMap((cell) => this.samples(cell)),
      }),
      // Cells stay with their holders, so a reset zeroes them rather than forgetting them.
      reset: () => {
        for (const cell of this.cells.values()) cell.clear();
      },
    };
  }

  /** One cell as Prometheus samples: cumulative buckets up to +Inf, then sum and count. */
  private samples(cell: Cell): MetricValueWithName<string>[] {
    const out: MetricValueWithName<string>[] = [];
    let seen = 0;
    const bucket = `${this.name}_bucket`;
    for (let i = 0; i <= this.bounds.length; i++) {
      seen += cell.counts[i] as number;
      const le = i < this.bounds.length ? String(this.bounds[i]) : "+Inf";
      out.push({ metricName: bucket, labels: { le, ...cell.labels }, value: seen });
    }
    out.push({ metricName: `${this.name}_sum`, labels: { ...cell.labels }, value: cell.sum });
    out.push({ metricName: `${this.name}_count`, labels: { ...cell.labels }, value: seen });
    return out;
  }
}

/**
 * A histogram for prom-client's registry whose `observe` is a few comparisons and two additions:
 * no label hashing, no object per call, so it can sit on the decision path (prom-client's own
 * Histogram validates and hashes labels on every observation). Fixed buckets, no labels.
 * Registered with `registry.registerMetric`; prom-client formats it (`_bucket`, `_sum`, `_count`).
 */
import type { Metric, Registry } from 'prom-client';

/** One sample as prom-client's registry formats it. */
export interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export class FixedHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, ascending (the +Inf bucket is added). */
    private readonly bounds: readonly number[],
  ) {
    for (let i = 1; i < bounds.length; i++)
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${name}: bucket bounds must ascend`);
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const b = this.bounds;
    for (let i = 0; i < b.length; i++)
      if (value <= b[i]!) {
        this.counts[i]!++;
        break;
      }
    this.sum += value;
    this.count++;
  }

  /** What prom-client's registry formats (cumulative buckets, then sum and count). */
  get(): Promise<{ name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' }> {
    const values: Sample[] = [];
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.counts[i]!;
      values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i]! }, value: acc });
    }
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.count });
    return Promise.resolve({ name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' });
  }
}

/** Registers a histogram of this kind (prom-client's registry takes any object with `get()`). */
export function registerFixed(registry: Registry, h: FixedHistogram): FixedHistogram {
  registry.registerMetric(h as unknown as Metric);
  return h;
}

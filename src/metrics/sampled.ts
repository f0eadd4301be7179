/**
 * Gauges and counters read at scrape time: prom-client's Gauge and Counter with a `collect` that
 * replaces every sample from one read of the figures (the status model, a component's counters).
 * Nothing is counted twice and nothing runs between scrapes. A read that returns `undefined` (a
 * part that is not configured) leaves the metric with its HELP and TYPE lines and no sample.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { promClient } from './promClient.ts';

export type Labels = Record<string, string>;
/** One value, or one value per label set. */
export type Reading = number | undefined | readonly (readonly [Labels, number])[];

export interface SampledSpec {
  name: string;
  help: string;
  labelNames?: readonly string[];
  read: () => Reading;
}

function fill(
  m: { reset(): void; remove(...v: string[]): void },
  labelled: boolean,
  r: Reading,
  put: (labels: Labels | undefined, v: number) => void,
): void {
  m.reset();
  if (r === undefined) {
    if (!labelled) m.remove(); // a metric without labels keeps a 0 sample after reset(): none at all instead
    return;
  }
  if (typeof r === 'number') {
    if (Number.isFinite(r)) put(undefined, r);
    return;
  }
  for (const [labels, v] of r) if (Number.isFinite(v)) put(labels, v);
}

/** A gauge whose samples are read at scrape time. */
export function sampledGauge(registry: Registry, s: SampledSpec): Gauge {
  return new (promClient().Gauge)({
    name: s.name,
    help: s.help,
    labelNames: [...(s.labelNames ?? [])],
    registers: [registry],
    collect() {
      fill(this, (s.labelNames ?? []).length > 0, s.read(), (l, v) => (l ? this.set(l, v) : this.set(v)));
    },
  });
}

/** A counter whose totals are read at scrape time from a count kept elsewhere (never re-counted here). */
export function sampledCounter(registry: Registry, s: SampledSpec): Counter {
  return new (promClient().Counter)({
    name: s.name,
    help: s.help,
    labelNames: [...(s.labelNames ?? [])],
    registers: [registry],
    collect() {
      fill(this, (s.labelNames ?? []).length > 0, s.read(), (l, v) =>
        l ? this.inc(l, Math.max(0, v)) : this.inc(Math.max(0, v)),
      );
    },
  });
}

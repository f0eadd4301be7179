/**
 * Shared helpers for the benchmarks: a per-call sample recorder (nanoseconds from
 * process.hrtime.bigint()), percentiles, target checks and plain-text tables.
 *
 * Every benchmark module exports an async function returning a {@link BenchReport};
 * test/bench/run.ts prints reports as text or JSON.
 */

import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Monotonic clock in nanoseconds (bigint). */
export const hrnow = (): bigint => process.hrtime.bigint();

/** A growable buffer of per-call durations in nanoseconds. */
export class Samples {
  private buf: Float64Array;
  private n = 0;
  constructor(initialCapacity = 1024) {
    this.buf = new Float64Array(Math.max(16, initialCapacity));
  }
  get length(): number {
    return this.n;
  }
  /** Adds one duration in nanoseconds. */
  push(ns: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = ns;
  }
  /** Adds the elapsed time between two hrnow() readings. */
  pushSpan(start: bigint, end: bigint): void {
    this.push(Number(end - start));
  }
  /** A sorted copy of the durations (ns). */
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }
  sum(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.buf[i] as number;
    return s;
  }
  /** Appends every sample of `other`. */
  append(other: Samples): void {
    for (let i = 0; i < other.n; i++) this.push(other.buf[i] as number);
  }
  /** The samples from `from` (inclusive) to `to` (exclusive), as a new Samples. */
  slice(from: number, to: number = this.n): Samples {
    const s = new Samples(Math.max(16, to - from));
    for (let i = from; i < to; i++) s.push(this.buf[i] as number);
    return s;
  }
}

/** Nearest-rank percentile of an ascending array; `p` in [0, 100]. */
export function percentile(sortedAsc: ArrayLike<number>, p: number): number {
  const n = sortedAsc.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sortedAsc[rank - 1] as number;
}

/** Summary of a sample set, in microseconds. */
export interface Summary {
  n: number;
  meanUs: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** Calls per second when run back to back (n / total time). */
  perSecond: number;
}

export function summarize(s: Samples): Summary {
  const a = s.sorted();
  const n = a.length;
  const total = s.sum();
  const us = (ns: number): number => ns / 1000;
  return {
    n,
    meanUs: n ? us(total / n) : Number.NaN,
    minUs: us(a[0] ?? Number.NaN),
    p50Us: us(percentile(a, 50)),
    p90Us: us(percentile(a, 90)),
    p99Us: us(percentile(a, 99)),
    p999Us: us(percentile(a, 99.9)),
    maxUs: us(a[n - 1] ?? Number.NaN),
    perSecond: total > 0 ? n / (total / 1e9) : Number.NaN,
  };
}

/** A single target: `measured ≤ limit` (a ratio, a latency, ...). */
export interface TargetCheck {
  /** Short id, e.g. "EdDSA cached p50". */
  name: string;
  /** What is divided by what, in words. */
  basis: string;
  measured: number;
  limit: number;
  pass: boolean;
}

export function target(name: string, basis: string, measured: number, limit: number): TargetCheck {
  return { name, basis, measured, limit, pass: Number.isFinite(measured) && measured <= limit };
}

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/** What a benchmark hands back to run.ts. `data` must be JSON-serialisable. */
export interface BenchReport {
  name: string;
  title: string;
  tables: Table[];
  targets: TargetCheck[];
  notes: string[];
  data: Record<string, unknown>;
}

/** Formats a number for a table: µs with 1–2 decimals, ratios with 2, large counts grouped. */
export function fmt(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 10_000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}

export function renderTable(t: Table): string {
  const cells = t.rows.map((r) =>
    r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? c.toLocaleString('en-US') : fmt(c)) : c)),
  );
  const widths = t.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [t.title, line(t.columns), sep, ...cells.map(line)].join('\n');
}

export function renderTarget(c: TargetCheck): string {
  return `${c.pass ? 'PASS       ' : 'FALLS SHORT'}  ${c.name}: ${c.measured.toFixed(3)}× (target ≤ ${c.limit}×; ${c.basis})`;
}

export function renderReport(r: BenchReport): string {
  const out: string[] = [`== ${r.title} ==`];
  for (const t of r.tables) out.push('', renderTable(t));
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  if (r.targets.length) out.push('', 'Targets:', ...r.targets.map(renderTarget));
  return out.join('\n');
}

/** Rounds every number in a JSON-bound value to `digits` decimals (keeps output readable). */
export function roundDeep<T>(v: T, digits = 3): T {
  const f = 10 ** digits;
  const walk = (x: unknown): unknown => {
    if (typeof x === 'number') return Number.isFinite(x) ? Math.round(x * f) / f : null;
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) o[k] = walk(val);
      return o;
    }
    return x;
  };
  return walk(v) as T;
}

/** Tells V8 to collect garbage if node runs with --expose-gc; a no-op otherwise. */
export function maybeGc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') g();
}

/**
 * A full garbage collection now, with or without --expose-gc: a benchmark calls it between its
 * set-up (making thousands of ride codes, building a 20 MB document) and a measured phase, so
 * that the phase does not pay for collecting the set-up's garbage.
 */
export function collectGarbage(): void {
  let g = (globalThis as { gc?: () => void }).gc;
  if (typeof g !== 'function') {
    v8.setFlagsFromString('--expose-gc');
    g = runInNewContext('gc') as () => void;
  }
  g();
}

/** Progress to stderr (kept off stdout so --json output stays clean). */
export function progress(quiet: boolean, msg: string): void {
  if (!quiet) process.stderr.write(`[bench] ${msg}\n`);
}

/** One garbage-collection pause as reported by perf_hooks (times in ms, performance.now() base). */
export interface GcPause {
  start: number;
  duration: number;
  /** perf_hooks gc kind: 1 minor (scavenge), 2 major, 4 incremental, 8 weak callbacks. */
  kind: number;
}

/**
 * Records GC pauses while running, so that tail latencies can be attributed to them. Entries
 * arrive asynchronously: yield to the event loop (e.g. between rounds) and call stop() at the end.
 */
export class GcRecorder {
  readonly pauses: GcPause[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as { detail?: unknown }).detail as { kind?: number } | undefined;
      this.pauses.push({ start: e.startTime, duration: e.duration, kind: detail?.kind ?? 0 });
    }
  });
  start(): this {
    this.observer.observe({ entryTypes: ['gc'] });
    return this;
  }
  async stop(): Promise<GcPause[]> {
    // gc entries are delivered from a later event-loop turn, not from setImmediate
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.observer.disconnect();
    return this.pauses;
  }
  /** Pauses that started inside any of `spans` ([start, end] in performance.now() ms). */
  within(spans: readonly (readonly [number, number])[]): { count: number; totalMs: number; maxMs: number } {
    let count = 0;
    let totalMs = 0;
    let maxMs = 0;
    for (const p of this.pauses)
      for (const [a, b] of spans)
        if (p.start >= a && p.start <= b) {
          count++;
          totalMs += p.duration;
          maxMs = Math.max(maxMs, p.duration);
          break;
        }
    return { count, totalMs, maxMs };
  }
}

/** performance.now() in ms, for spans compared with GC pause times. */
export const perfNow = (): number => performance.now();

/** Lets queued callbacks (e.g. perf_hooks observers) run. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The settlement backend's Prometheus metrics (`faregate backend --metrics-port N`, `GET /metrics`).
 *
 * Totals are read at scrape time from the backend's own counters (SettlementBackend.counters:
 * batches, taps inserted, duplicates, conflicts, malformed batches, store errors, connections),
 * so nothing is counted twice. Fed from the backend's events: acks sent and taps rejected in
 * signed acks (`batch`). The insert latency histogram times the store's `insertBatch` (sync or
 * async), wrapped once on the store object the backend was given.
 */
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { FixedHistogram, registerFixed } from '../metrics/fixedHistogram.ts';
import { promClient } from '../metrics/promClient.ts';
import { serveMetrics, type MetricsServer } from '../metrics/metricsServer.ts';
import { sampledCounter, sampledGauge } from '../metrics/sampled.ts';
import type { Logger } from '../platform/logger.ts';
import { packageVersion } from '../platform/packageRoot.ts';
import type { BackendCounters, BatchEvent } from './settlementBackend.ts';

/** Insert latency buckets (seconds): 0.5 ms to 1 s, then +Inf. */
export const INSERT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

/** The argument checks of METRICS_OPTIONS (src/metrics/metricsOptions.ts), for the command's schema. */
export const METRICS_ARGS = {
  'metrics-port': z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number (0..65535)')
    .transform(Number)
    .pipe(z.number().max(65535, 'must be a port number (0..65535)'))
    .optional(),
  'metrics-host': z.string().min(1, 'must not be empty'),
};

/** What the metrics read of the backend (SettlementBackend has all of it). */
export interface BackendMetricsSource {
  readonly counters: Readonly<BackendCounters>;
  readonly connected: boolean;
  on(event: 'batch', listener: (e: BatchEvent) => void): unknown;
}

export class BackendMetrics {
  readonly registry: Registry = new (promClient().Registry)();
  readonly insertSeconds: FixedHistogram;
  private acksSent = 0;
  private acksSigned = 0;
  private tapsRejected = 0;

  constructor(
    private readonly backend: BackendMetricsSource,
    version: string,
  ) {
    const r = this.registry;
    this.insertSeconds = registerFixed(
      r,
      new FixedHistogram('faregate_backend_insert_duration_seconds', 'Time to store one tap batch', INSERT_BUCKETS),
    );
    backend.on('batch', (e) => {
      this.acksSent++;
      if (e.signed) this.acksSigned++;
      this.tapsRejected += e.rejected.length;
    });
    const c = (name: string, help: string, read: (k: Readonly<BackendCounters>) => number) =>
      sampledCounter(r, { name, help, read: () => read(this.backend.counters) });
    sampledGauge(r, {
      name: 'faregate_backend_build_info',
      help: 'Always 1: the faregate version of this backend',
      labelNames: ['version'],
      read: () => [[{ version }, 1]],
    });
    sampledGauge(r, {
      name: 'faregate_backend_connected',
      help: '1 while the backend is connected to the broker',
      read: () => Number(this.backend.connected),
    });
    c(
      'faregate_backend_batches_total',
      'Valid tap batches stored and acknowledged (replays included)',
      (k) => k.batches,
    );
    c('faregate_backend_taps_inserted_total', 'Taps stored for the first time', (k) => k.tapsInserted);
    c('faregate_backend_tap_duplicates_total', 'Taps received again (already held)', (k) => k.duplicates);
    c(
      'faregate_backend_tap_conflicts_total',
      'Re-sent tap ids whose content differed (the first is kept)',
      (k) => k.conflicts,
    );
    c(
      'faregate_backend_malformed_batches_total',
      'Batches rejected as malformed, never acknowledged',
      (k) => k.malformed,
    );
    c(
      'faregate_backend_malformed_taps_total',
      'Taps that were not valid taps in an otherwise valid batch: never stored (rejected in a signed ack)',
      (k) => k.malformedTaps,
    );
    c(
      'faregate_backend_store_errors_total',
      'Batches the store could not take (not acknowledged; re-sent)',
      (k) => k.storeErrors,
    );
    c('faregate_backend_connects_total', 'Connections to the broker (1 + reconnections)', (k) => k.connects);
    sampledCounter(r, {
      name: 'faregate_backend_acks_sent_total',
      help: 'Acks published, by kind (signed, unsigned v1)',
      labelNames: ['kind'],
      read: () => [
        [{ kind: 'signed' }, this.acksSigned],
        [{ kind: 'unsigned' }, this.acksSent - this.acksSigned],
      ],
    });
    sampledCounter(r, {
      name: 'faregate_backend_taps_rejected_total',
      help: 'Taps rejected in signed acks (an id held with different content)',
      read: () => this.tapsRejected,
    });
  }

  /** Times every `insertBatch` of this store object from now on (a returned promise until it settles). */
  timeInserts(store: object): void {
    const s = store as { insertBatch: (...a: unknown[]) => unknown };
    const insert = s.insertBatch;
    if (typeof insert !== 'function') throw new Error('the backend store has no insertBatch');
    const h = this.insertSeconds;
    s.insertBatch = function timedInsertBatch(this: unknown, ...a: unknown[]): unknown {
      const t0 = performance.now();
      const done = () => h.observe((performance.now() - t0) / 1000);
      const out = insert.apply(this, a);
      if (out instanceof Promise) return out.finally(done);
      done();
      return out;
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * `--metrics-port`: metrics of this backend and its store, served on `--metrics-host` (loopback by
 * default); none without the option. Throws with the address when the port cannot be had.
 */
export async function startBackendMetrics(o: {
  backend: BackendMetricsSource;
  store: object;
  args: { 'metrics-port'?: number | undefined; 'metrics-host': string };
  log: Logger;
}): Promise<MetricsServer | undefined> {
  const port = o.args['metrics-port'];
  const host = o.args['metrics-host'];
  if (port === undefined) return undefined;
  const metrics = new BackendMetrics(o.backend, packageVersion());
  metrics.timeInserts(o.store);
  try {
    return await serveMetrics({ host, port, metrics, log: o.log.child({ component: 'metrics' }) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new Error(`--metrics-port ${port}: cannot listen on ${host}:${port} (${code})`, { cause: e });
  }
}

/**
 * The validator's Prometheus metrics (`GET /metrics` on the health port, src/health/healthMonitor.ts).
 *
 * Everything but one histogram is read at scrape time from the one status model
 * (src/service/status.ts, built once per scrape) and the scanner's counters: decisions by outcome
 * and reason come from the tap processor's own counters, so nothing is counted twice and the
 * decision path does no metrics work. The one thing fed from the outcome stream is the
 * decision-latency histogram: `frameArrived()` notes `performance.now()` when the scanner hands
 * over a frame (or junk it answers), `decided()` observes the time to the outcome (admission, the
 * durable commit, the gate signal) — two clock reads and a bucket search per decision.
 *
 * No `collectDefaultMetrics`: its event-loop monitor and GC observer would run beside the
 * decision path; the resident memory and start time come from the status model instead.
 * The registry (and prom-client, src/metrics/promClient.ts) is made by `prepare()` or the first
 * scrape; the histogram works without it.
 */
import type { Registry } from 'prom-client';
import type { ListsStatus } from '../fleet/listStatus.ts';
import type { ReplayShareStatus } from '../fleet/replayShare.ts';
import type { GateStats } from '../gate/gateDispatcher.ts';
import type { ScannerCounters } from '../scanner/scannerInput.ts';
import type { Alarm, Backlog } from '../settlement/telemetry.ts';
import type { UploaderStats } from '../settlement/uploader.ts';
import { FixedHistogram, registerFixed } from './fixedHistogram.ts';
import { promClient } from './promClient.ts';
import { sampledCounter, sampledGauge, type Labels, type Reading } from './sampled.ts';

/** Decision latency buckets (seconds): 0.5 ms to 300 ms, then +Inf. */
export const DECISION_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3] as const;

/**
 * What the metrics read of the one status model (src/service/status.ts StatusModel has all of
 * it; declared here so src/metrics does not import src/service, which builds the metrics).
 */
export interface MetricsStatus {
  at: number;
  startedAt: number;
  deviceId: string;
  mode: string;
  scanner: { state: string };
  decisions: {
    accept: number;
    byReason: Partial<Record<string, number>>;
    dropped: Partial<Record<string, number>>;
  };
  store: { taps: number; events: number };
  storeBytes: number | undefined;
  replayMemory: number;
  trustKeys: number;
  denyEntries: number;
  gate: GateStats;
  backlog: Backlog;
  alarms: Pick<Alarm, 'alarm'>[];
  listAlarms: string[];
  mqtt: { configured: boolean; connected: boolean };
  upload: UploaderStats | undefined;
  lists: ListsStatus | undefined;
  freePass: boolean;
  outOfService: boolean;
  commands: { enabled: boolean; accepted: number; refused: number };
  memoryRss: number;
  group: ReplayShareStatus | undefined;
}

export interface ValidatorMetricsSources {
  /** The one status model (built once per scrape). */
  status: () => MetricsStatus;
  /** The scanner input's counters (reconnects, frames). */
  scanner: () => Pick<ScannerCounters, 'reconnects' | 'frames'>;
  /** The faregate version (read once, at the first scrape). */
  version: () => string;
}

const pairs = <T>(o: Partial<Record<string, T>>, label: string, f: (v: T) => number): [Labels, number][] =>
  Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [[{ [label]: k }, f(v)] as [Labels, number]]));

export class ValidatorMetrics {
  readonly decisionSeconds = new FixedHistogram(
    'faregate_decision_duration_seconds',
    'Time from the scanner handing over a frame to its decision (admission, durable commit, gate signal)',
    DECISION_BUCKETS,
  );
  private frameAt = 0;
  private model: MetricsStatus | undefined;
  private version: string | undefined;
  private reg: Registry | undefined;

  constructor(private readonly src: ValidatorMetricsSources) {}

  /** The registry, made (and prom-client loaded) on first use. */
  get registry(): Registry {
    return (this.reg ??= this.build());
  }

  /** Loads prom-client and makes the registry now (while the service is built, not between frames). */
  prepare(): void {
    void this.registry;
  }

  private build(): Registry {
    const r = new (promClient().Registry)();
    registerFixed(r, this.decisionSeconds);
    const m = (): MetricsStatus => (this.model ??= this.src.status());
    const g = (name: string, help: string, read: () => Reading, labelNames?: string[]) =>
      sampledGauge(r, { name, help, read, ...(labelNames ? { labelNames } : {}) });
    const c = (name: string, help: string, read: () => Reading, labelNames?: string[]) =>
      sampledCounter(r, { name, help, read, ...(labelNames ? { labelNames } : {}) });

    g(
      'faregate_build_info',
      'Always 1: the faregate version and this gate (device id, mode)',
      () => [[{ version: (this.version ??= this.src.version()), device_id: m().deviceId, mode: m().mode }, 1]],
      ['version', 'device_id', 'mode'],
    );
    g('faregate_start_time_seconds', 'When the validator started (Unix seconds)', () => m().startedAt / 1000);
    g('faregate_resident_memory_bytes', 'Resident memory of the process', () => m().memoryRss);

    // Decisions: the tap processor's counters. A duplicate read is the one `ignore` reason.
    c(
      'faregate_decisions_total',
      'Decisions by outcome (accept, reject, ignore) and reason (none on accept)',
      () => {
        const d = m().decisions;
        return [
          [{ outcome: 'accept', reason: 'none' }, d.accept],
          ...pairs(d.byReason, 'reason', (n) => n).map(
            ([l, n]) => [{ outcome: l.reason === 'duplicate' ? 'ignore' : 'reject', ...l }, n] as [Labels, number],
          ),
        ];
      },
      ['outcome', 'reason'],
    );
    c(
      'faregate_scanner_drops_total',
      'Scanner input that was not a frame, by why',
      () => pairs(m().decisions.dropped, 'reason', (n) => n),
      ['reason'],
    );

    // Backlog and uploads.
    g(
      'faregate_backlog_unsettled_taps',
      'Taps recorded and not yet settled by the backend',
      () => m().backlog.unsettled,
    );
    g(
      'faregate_backlog_rejected_taps',
      'Taps the backend rejected in signed acks (kept, never re-sent)',
      () => m().backlog.rejected,
    );
    g(
      'faregate_backlog_oldest_unsettled_age_seconds',
      'Age of the oldest unsettled tap (0 when none is waiting)',
      () => m().backlog.oldestUnsettledAgeSec ?? 0,
    );
    const up = () => m().upload;
    c('faregate_upload_batches_sent_total', 'Tap batches published to the backend', () => up()?.batchesSent);
    c('faregate_upload_taps_sent_total', 'Taps published to the backend (re-sends included)', () => up()?.tapsSent);
    c('faregate_upload_acks_total', 'Acks from the backend that were taken', () => up()?.acks);
    c(
      'faregate_upload_acks_refused_total',
      'Acks refused (unsigned, bad signature, unknown batch, …)',
      () => up()?.ackRefused,
    );
    c('faregate_upload_acks_malformed_total', 'Acks that were not valid JSON or not an ack', () => up()?.malformedAcks);
    c('faregate_upload_taps_settled_total', 'Taps marked settled by acks', () => up()?.tapsSettled);
    c('faregate_upload_taps_rejected_total', 'Taps the backend rejected in signed acks', () => up()?.tapsRejected);
    c('faregate_upload_timeouts_total', 'Batches whose ack did not come in time (re-sent)', () => up()?.timeouts);
    c('faregate_upload_publish_failures_total', 'Batch publishes that failed', () => up()?.publishFailures);
    g('faregate_mqtt_connected', '1 while the MQTT link is connected (absent without an mqtt section)', () =>
      m().mqtt.configured ? Number(m().mqtt.connected) : undefined,
    );

    // Lists.
    const lists = () => m().lists;
    const perList = (f: (l: NonNullable<MetricsStatus['lists']>['trust']) => number | null) => () => {
      const l = lists();
      if (!l) return undefined;
      return (['trust', 'deny'] as const).flatMap((t) => {
        const v = f(l[t]);
        return v === null ? [] : [[{ list: t }, v] as [Labels, number]];
      });
    };
    g(
      'faregate_list_entries',
      'Keys in the trust list and entries in the deny list',
      () => [
        [{ list: 'trust' }, m().trustKeys],
        [{ list: 'deny' }, m().denyEntries],
      ],
      ['list'],
    );
    g(
      'faregate_list_version',
      'Version of the signed list in force (0 = the bootstrap file)',
      perList((l) => l.version),
      ['list'],
    );
    g(
      'faregate_list_age_seconds',
      'Age of the list in force (from its issuedAt)',
      perList((l) => l.ageSec),
      ['list'],
    );
    g(
      'faregate_list_max_age_seconds',
      'Age after which the list counts as stale',
      perList((l) => l.maxAgeSec),
      ['list'],
    );
    g(
      'faregate_list_stale',
      '1 while the list is older than its maximum age',
      perList((l) => Number(l.stale)),
      ['list'],
    );
    c(
      'faregate_list_updates_applied_total',
      'Signed list documents applied',
      perList((l) => l.applied),
      ['list'],
    );
    c(
      'faregate_list_refusals_total',
      'Signed list documents refused (oversized included)',
      perList((l) => l.refused),
      ['list'],
    );

    // Scanner, gate, store.
    g('faregate_scanner_connected', '1 while the scanner link is up', () => Number(m().scanner.state === 'up'));
    c(
      'faregate_scanner_reconnects_total',
      'Successful re-opens of the scanner link after it was down',
      () => this.src.scanner().reconnects,
    );
    c('faregate_scanner_frames_total', 'Frames read from the scanner', () => this.src.scanner().frames);
    c(
      'faregate_gate_signals_total',
      'Gate signals by result (delivered, failed, timed_out, dropped)',
      () => {
        const s = m().gate;
        return [
          [{ result: 'delivered' }, s.delivered],
          [{ result: 'failed' }, s.failed],
          [{ result: 'timed_out' }, s.timedOut],
          [{ result: 'dropped' }, s.dropped],
        ];
      },
      ['result'],
    );
    g('faregate_store_size_bytes', 'Size of the tap store file', () => m().storeBytes);
    g('faregate_store_taps', 'Taps held in the store (settled and unsettled)', () => m().store.taps);
    g('faregate_store_events', 'Events held in the store', () => m().store.events);
    g('faregate_replay_memory_entries', 'Ride codes held in the replay memory', () => m().replayMemory);

    // Modes, alarms, remote commands.
    g('faregate_free_pass', '1 during a free pass (evacuation: the gate opens for everyone)', () =>
      Number(m().freePass),
    );
    g('faregate_out_of_service', '1 while the gate is out of service', () => Number(m().outOfService));
    g(
      'faregate_alarm_active',
      'Alarms raised now (1 per alarm name)',
      () => [...m().alarms.map((a) => a.alarm), ...m().listAlarms].map((a) => [{ alarm: a }, 1] as [Labels, number]),
      ['alarm'],
    );
    c(
      'faregate_remote_commands_total',
      'Signed remote commands by result (accepted, refused)',
      () =>
        m().commands.enabled
          ? [
              [{ result: 'accepted' }, m().commands.accepted],
              [{ result: 'refused' }, m().commands.refused],
            ]
          : undefined,
      ['result'],
    );

    // Replay sharing within a group (absent without `group`).
    const grp = () => m().group;
    c('faregate_group_announced_total', 'Accepts announced to the group', () => grp()?.announced);
    c('faregate_group_heard_total', "Announcements heard from the group's other gates", () => grp()?.heard);
    c('faregate_group_merged_total', 'Announcements merged into the replay memory', () => grp()?.merged);
    c('faregate_group_dropped_queued_total', 'Announcements dropped from a full queue', () => grp()?.droppedQueued);
    g('faregate_group_queued', 'Announcements waiting to be sent', () => grp()?.queued);
    g('faregate_group_known_entries', "Accepts of the group's other gates held", () => grp()?.known);
    c(
      'faregate_group_refused_total',
      'Announcements refused, by reason',
      () => {
        const gs = grp();
        return gs ? pairs(gs.refused, 'reason', (n) => n) : undefined;
      },
      ['reason'],
    );
    g(
      'faregate_group_peer_last_heard_age_seconds',
      'Seconds since each other gate of the group was last heard (absent if never)',
      () => {
        const gs = grp();
        if (!gs) return undefined;
        const at = m().at;
        return Object.entries(gs.lastHeardAt).flatMap(([peer, t]) =>
          t === null ? [] : [[{ peer }, Math.max(0, (at - t) / 1000)] as [Labels, number]],
        );
      },
      ['peer'],
    );
    return r;
  }

  /** The scanner handed over a frame (or junk it answers): the decision is made synchronously after it. */
  frameArrived(): void {
    this.frameAt = performance.now();
  }

  /** A decision was emitted (after its commit and gate signal). */
  decided(): void {
    const t = this.frameAt;
    if (t === 0) return;
    this.frameAt = 0;
    this.decisionSeconds.observe((performance.now() - t) / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition, the status model built once for it. */
  async text(): Promise<string> {
    this.model = this.src.status();
    try {
      return await this.registry.metrics();
    } finally {
      this.model = undefined;
    }
  }
}

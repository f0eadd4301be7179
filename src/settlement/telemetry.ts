/**
 * Health of a validator over MQTT: backlog alarms (unsettled count, age of the oldest unsettled
 * tap, failed re-sends, store nearly full), raised and cleared through the one alarm path
 * (src/fleet/alarms.ts: log, event on `P/gates/D/events`, status) and carried in the retained
 * status; periodic metrics on `P/gates/D/metrics`. Alarms are computed (and logged) with or
 * without a broker; their events follow the one offline rule of src/fleet/events.ts.
 */
import type { SettlementConfig } from '../config/schema.ts';
import type { AlarmSink } from '../fleet/alarms.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { Component } from '../platform/component.ts';
import type { TapStore } from '../store/tapStore.ts';
import type { Clock } from '../token/validator.ts';

export type AlarmName = 'backlog_count' | 'backlog_age' | 'upload_failing' | 'store_near_limit' | 'taps_rejected';

export interface Alarm {
  alarm: AlarmName;
  value: number;
  threshold: number;
  since: number;
}

export interface Backlog {
  unsettled: number;
  oldestUnsettledAgeSec: number | null;
  maxAttempts: number;
  /** Taps the backend rejected in signed acks (kept, never re-sent; settlement-mqtt-v1 Amendment 1). */
  rejected: number;
}

export interface TelemetryDeps {
  /** `rejected` may be absent in stores (fakes) that do not know rejections. */
  store: { backlog(): Omit<ReturnType<TapStore['backlog']>, 'rejected'> & { rejected?: number } };
  link: MqttPort | undefined;
  cfg: SettlementConfig;
  clock: Clock;
  log: Logger;
  /** The one alarm path (src/fleet/alarms.ts), shared with list sync. */
  alarms: AlarmSink;
  /** The metrics body (decisions, uploads, scanner, …) from the service. */
  metricsBody: () => Record<string, unknown>;
  /** Called when the backlog's count or attempts change (the alarm path reports alarm changes). */
  statusChanged?: () => void;
  /** How often the backlog is recomputed (ms); 2000 unless told. */
  checkEveryMs?: number;
}

export class Telemetry implements Component {
  readonly name = 'telemetry';
  private readonly active = new Map<AlarmName, Alarm>();
  private backlogNow: Backlog = { unsettled: 0, oldestUnsettledAgeSec: null, maxAttempts: 0, rejected: 0 };
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly store: TelemetryDeps['store'];
  private readonly link: MqttPort | undefined;
  private readonly cfg: SettlementConfig;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly deps: TelemetryDeps) {
    this.store = deps.store;
    this.link = deps.link;
    this.cfg = deps.cfg;
    this.clock = deps.clock;
    this.log = deps.log;
  }

  start(): void {
    this.stopped = false;
    this.check();
    const t1 = setInterval(() => this.check(), this.deps.checkEveryMs ?? 2000);
    const t2 = setInterval(() => void this.publishMetrics(), this.cfg.metricsIntervalMs);
    t1.unref();
    t2.unref();
    this.timers.push(t1, t2);
  }

  /**
   * After stop nothing is published (the link stops after telemetry). The backlog is counted once
   * more first: the clean offline status carries it as it is, not as it was up to a check ago.
   */
  stop(): void {
    if (!this.stopped) this.check();
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  get backlog(): Backlog {
    return this.backlogNow;
  }

  get alarms(): Alarm[] {
    return [...this.active.values()];
  }

  /** Recomputes the backlog and raises or clears alarms. */
  check(): void {
    const now = this.clock.now();
    let b;
    try {
      b = this.store.backlog();
    } catch {
      return;
    }
    const was = this.backlogNow;
    this.backlogNow = {
      unsettled: b.unsettled,
      oldestUnsettledAgeSec: b.oldestAt === null ? null : Math.max(0, Math.round((now - b.oldestAt) / 1000)),
      maxAttempts: b.maxAttempts,
      rejected: b.rejected ?? 0,
    };
    // The age grows every second while there is a backlog: only a change of the count or of the
    // attempts (or the backlog emptying) re-publishes the status.
    const changed =
      was.unsettled !== b.unsettled ||
      was.maxAttempts !== b.maxAttempts ||
      was.rejected !== this.backlogNow.rejected ||
      (was.oldestUnsettledAgeSec === null) !== (b.oldestAt === null);
    const a = this.cfg.alarms;
    const nearLimit = Math.floor(a.storeCapacity * 0.9);
    // Every alarm is evaluated (no short-circuit); the alarm path republishes the status itself.
    this.set('backlog_count', b.unsettled, a.unsettledCount, now);
    this.set('backlog_age', this.backlogNow.oldestUnsettledAgeSec ?? 0, a.oldestUnsettledSeconds, now);
    this.set('upload_failing', b.unsettled > 0 ? b.maxAttempts : 0, a.failedAttempts, now);
    this.set('store_near_limit', b.unsettled, nearLimit, now);
    // Any tap the backend rejected is money that will not settle by itself: an operator looks at it.
    this.set('taps_rejected', this.backlogNow.rejected, 1, now);
    if (changed) this.deps.statusChanged?.();
  }

  /** Raises, updates or clears one alarm through the alarm path. */
  private set(name: AlarmName, value: number, threshold: number, now: number): void {
    const on = value >= threshold;
    const was = this.active.get(name);
    if (on && !was) {
      this.active.set(name, { alarm: name, value, threshold, since: now });
      this.deps.alarms.raise(name, { value, threshold });
    } else if (!on && was) {
      this.active.delete(name);
      this.deps.alarms.clear(name, { value, threshold });
    } else if (on && was) {
      was.value = value;
      this.deps.alarms.update(name, { value, threshold });
    }
  }

  async publishMetrics(): Promise<void> {
    if (this.stopped || !this.link?.connected) return;
    const alarms = this.alarms.map((a) => a.alarm);
    const body = { at: this.clock.now(), backlog: this.backlogNow, alarms, ...this.deps.metricsBody() };
    await this.link.publish(this.link.topics.metrics, body, { qos: 0 }).catch(() => undefined);
  }
}

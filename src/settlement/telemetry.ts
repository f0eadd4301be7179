/**
 * Health of a validator over MQTT: backlog alarms (unsettled count, age of the oldest unsettled
 * tap, failed re-sends, store nearly full) raised and cleared on `P/gates/D/events` and carried
 * in the retained status; periodic metrics on `P/gates/D/metrics`; rejections as events with
 * pseudonymous ids only. Alarms are computed (and logged) with or without a broker.
 */
import type { SettlementConfig } from '../config/schema.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { Component } from '../service/component.ts';
import type { TapStore } from '../store/tapStore.ts';
import type { Clock } from '../token/validator.ts';

export type AlarmName = 'backlog_count' | 'backlog_age' | 'upload_failing' | 'store_near_limit';

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
}

export interface TelemetryDeps {
  store: Pick<TapStore, 'backlog'>;
  link: MqttPort | undefined;
  cfg: SettlementConfig;
  clock: Clock;
  log: Logger;
  /** The metrics body (decisions, uploads, scanner, …) from the service. */
  metricsBody: () => Record<string, unknown>;
  /** Called when an alarm is raised or cleared, or the backlog's count or attempts change. */
  statusChanged?: () => void;
  /** How often the backlog is recomputed (ms); 2000 unless told. */
  checkEveryMs?: number;
}

export class Telemetry implements Component {
  readonly name = 'telemetry';
  private readonly active = new Map<AlarmName, Alarm>();
  private backlogNow: Backlog = { unsettled: 0, oldestUnsettledAgeSec: null, maxAttempts: 0 };
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  eventsDropped = 0;
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

  /** After stop nothing is published (the link stops after telemetry). */
  stop(): void {
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
    };
    // The age grows every second while there is a backlog: only a change of the count or of the
    // attempts (or the backlog emptying) re-publishes the status.
    const changed =
      was.unsettled !== b.unsettled ||
      was.maxAttempts !== b.maxAttempts ||
      (was.oldestUnsettledAgeSec === null) !== (b.oldestAt === null);
    const a = this.cfg.alarms;
    const nearLimit = Math.floor(a.storeCapacity * 0.9);
    // Every alarm is evaluated (no short-circuit), then one status change for all of them.
    const alarmsChanged = [
      this.set('backlog_count', b.unsettled, a.unsettledCount, now),
      this.set('backlog_age', this.backlogNow.oldestUnsettledAgeSec ?? 0, a.oldestUnsettledSeconds, now),
      this.set('upload_failing', b.unsettled > 0 ? b.maxAttempts : 0, a.failedAttempts, now),
      this.set('store_near_limit', b.unsettled, nearLimit, now),
    ].includes(true);
    if (changed || alarmsChanged) this.deps.statusChanged?.();
  }

  /** Raises or clears one alarm; true when it was raised or cleared. */
  private set(name: AlarmName, value: number, threshold: number, now: number): boolean {
    const on = value >= threshold;
    const was = this.active.get(name);
    if (on && !was) {
      const alarm: Alarm = { alarm: name, value, threshold, since: now };
      this.active.set(name, alarm);
      this.log.warn({ alarm: name, value, threshold }, 'alarm raised');
      this.event({ at: now, kind: 'alarm', state: 'raised', alarm: name, value, threshold });
      return true;
    } else if (!on && was) {
      this.active.delete(name);
      this.log.info({ alarm: name, value, threshold }, 'alarm cleared');
      this.event({ at: now, kind: 'alarm', state: 'cleared', alarm: name, value, threshold });
      return true;
    } else if (on && was) was.value = value;
    return false;
  }

  /** An event on `P/gates/D/events` (QoS 1). Events are not money: without a broker they are dropped (counted). */
  event(body: { at: number; kind: string } & Record<string, unknown>): void {
    if (this.stopped || !this.link?.connected) {
      this.eventsDropped++;
      return;
    }
    this.link.publish(this.link.topics.events, body, { qos: 1 }).catch(() => this.eventsDropped++);
  }

  async publishMetrics(): Promise<void> {
    if (this.stopped || !this.link?.connected) return;
    const alarms = this.alarms.map((a) => a.alarm);
    const body = { at: this.clock.now(), backlog: this.backlogNow, alarms, ...this.deps.metricsBody() };
    await this.link.publish(this.link.topics.metrics, body, { qos: 0 }).catch(() => undefined);
  }
}

/**
 * The one alarm path of a validator: an alarm is raised or cleared here, which logs it (`alarm
 * raised` at warn, `alarm cleared` at info, with the alarm's fields), publishes the event
 * `{"kind": "alarm", "state": "raised" | "cleared", "alarm": NAME, ...fields}` through the one
 * event path (src/fleet/events.ts), and asks for the retained status to be republished. The
 * active alarms are read from here for the status.
 *
 * Used by list sync (`lists_stale`) and meant for telemetry's backlog alarms (`backlog_count`,
 * `backlog_age`, `upload_failing`, `store_near_limit`).
 */
import type { Logger } from '../platform/logger.ts';
import type { Clock } from '../token/validator.ts';
import type { EventSink } from './events.ts';

export interface ActiveAlarm {
  alarm: string;
  /** Unix ms, when it was first raised. */
  since: number;
  /** The fields it was last raised or updated with. */
  fields: Record<string, unknown>;
}

/** Raises and clears alarms. */
export interface AlarmSink {
  /**
   * Raises an alarm (log, event, status) unless it is active with the same `key`; an active
   * alarm raised again with another key (e.g. another set of stale lists) is announced again,
   * keeping its `since`. Returns whether it was announced.
   */
  raise(alarm: string, fields?: Record<string, unknown>, key?: string): boolean;
  /** Updates an active alarm's fields without announcing it (a value that moves). */
  update(alarm: string, fields: Record<string, unknown>): void;
  /** Clears an active alarm (log, event, status); returns whether it was active. */
  clear(alarm: string, fields?: Record<string, unknown>): boolean;
  isActive(alarm: string): boolean;
  /** The active alarms, oldest first. */
  active(): ActiveAlarm[];
}

export interface AlarmBoardDeps {
  events: EventSink;
  logger: Logger;
  clock: Clock;
  /** The status changed: republish it. */
  statusChanged?: () => void;
}

export class AlarmBoard implements AlarmSink {
  private readonly on = new Map<string, ActiveAlarm & { key: string }>();

  constructor(private readonly deps: AlarmBoardDeps) {}

  raise(alarm: string, fields: Record<string, unknown> = {}, key = ''): boolean {
    const was = this.on.get(alarm);
    if (was && was.key === key) {
      was.fields = fields;
      return false;
    }
    const at = this.deps.clock.now();
    this.on.set(alarm, { alarm, since: was?.since ?? at, fields, key });
    this.deps.logger.warn({ alarm, ...fields }, 'alarm raised');
    this.deps.events.event({ at, kind: 'alarm', state: 'raised', alarm, ...fields });
    this.deps.statusChanged?.();
    return true;
  }

  update(alarm: string, fields: Record<string, unknown>): void {
    const was = this.on.get(alarm);
    if (was) was.fields = fields;
  }

  clear(alarm: string, fields: Record<string, unknown> = {}): boolean {
    if (!this.on.delete(alarm)) return false;
    const at = this.deps.clock.now();
    this.deps.logger.info({ alarm, ...fields }, 'alarm cleared');
    this.deps.events.event({ at, kind: 'alarm', state: 'cleared', alarm, ...fields });
    this.deps.statusChanged?.();
    return true;
  }

  isActive(alarm: string): boolean {
    return this.on.has(alarm);
  }

  active(): ActiveAlarm[] {
    return [...this.on.values()].map(({ alarm, since, fields }) => ({ alarm, since, fields }));
  }
}

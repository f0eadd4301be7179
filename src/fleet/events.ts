/**
 * The one event path of a validator (`P/gates/D/events`, QoS 1) with one offline rule: an event
 * that cannot go out now (no broker, not connected, or the publish failed) is queued, up to
 * MAX_QUEUED_EVENTS; when the queue is full the oldest is dropped and counted (`dropped`). The
 * queue goes out, oldest first, on the next (re)connect. Events are not money (taps have their
 * own durable path): they are kept in memory only.
 *
 * List sync, remote commands and telemetry (backlog alarms, rejections) all publish through one
 * EventOutbox; alarms go through src/fleet/alarms.ts, which publishes here.
 */
import type { MqttPort } from '../mqtt/mqttPort.ts';

export type EventBody = { at: number; kind: string } & Record<string, unknown>;

/** Where a part sends its events. */
export interface EventSink {
  event(body: EventBody): void;
}

/** Events kept while offline (oldest dropped beyond). */
export const MAX_QUEUED_EVENTS = 100;

export class EventOutbox implements EventSink {
  private readonly queue: EventBody[] = [];
  /** Events dropped because the queue was full. */
  dropped = 0;
  /** Events handed to the broker. */
  published = 0;

  constructor(
    private readonly link: MqttPort | undefined,
    private readonly max = MAX_QUEUED_EVENTS,
  ) {
    link?.on('connected', () => this.flush());
  }

  /** Events waiting for a connection. */
  get queued(): number {
    return this.queue.length;
  }

  event(body: EventBody): void {
    const link = this.link;
    if (!link?.connected) {
      this.keep(body);
      return;
    }
    link.publish(link.topics.events, body, { qos: 1 }).then(
      () => void this.published++,
      () => this.keep(body),
    );
  }

  /** Sends the queued events (oldest first) when connected. */
  flush(): void {
    if (!this.link?.connected) return;
    for (const e of this.queue.splice(0)) this.event(e);
  }

  private keep(body: EventBody): void {
    if (this.queue.length >= this.max) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(body);
  }
}

/**
 * Keeps the retained status current: every change (backlog count or attempts, alarms, scanner,
 * lists, modes) asks for a publish; publishes are rate-limited to one per `minIntervalMs`, and
 * a change inside the interval is published at its end, so the last change is always sent.
 * Started after the MQTT link and stopped before it: nothing is published once it stops.
 */
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Component } from '../platform/component.ts';

export class StatusPublisher implements Component {
  readonly name = 'status';
  private lastAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  publishes = 0;

  constructor(
    private readonly link: MqttPort | undefined,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.running = true;
  }

  /** Something in the status changed: publish now, or at the end of the current interval. */
  changed(): void {
    if (!this.running || !this.link || this.timer) return;
    const wait = this.lastAt + this.minIntervalMs - this.now();
    if (wait <= 0) {
      this.publish();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) this.publish();
    }, wait);
    this.timer.unref();
  }

  private publish(): void {
    this.lastAt = this.now();
    this.publishes++;
    void this.link?.publishStatus();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

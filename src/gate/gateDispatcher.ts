/**
 * Keeps the gate driver off the decision path: signals are queued and delivered one at a time
 * with a timeout; a slow or failing driver delays only the gate, never the next rider's
 * decision. The queue is bounded: when full, the oldest waiting signal is dropped (counted).
 */
import { errorFields } from '../errors/faregateError.ts';
import type { Logger } from '../platform/logger.ts';
import type { Component } from '../platform/component.ts';
import type { GateDriver, GateSignal } from './types.ts';

export interface GateStats {
  delivered: number;
  failed: number;
  timedOut: number;
  dropped: number;
}

export class GateDispatcher implements Component {
  readonly name = 'gate';
  private readonly queue: GateSignal[] = [];
  private running = false;
  private stopped = false;
  readonly stats: GateStats = { delivered: 0, failed: 0, timedOut: 0, dropped: 0 };
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly driver: GateDriver,
    private readonly o: { timeoutMs: number; maxQueue?: number },
    private readonly log: Logger,
  ) {}

  start(): Promise<void> {
    return this.driver.start();
  }

  /** Returns at once. */
  signal(s: GateSignal): void {
    if (this.stopped) return;
    this.queue.push(s);
    if (this.queue.length > (this.o.maxQueue ?? 32)) {
      this.queue.shift();
      this.stats.dropped++;
      this.log.warn({ queued: this.queue.length }, 'gate is not keeping up: oldest signal dropped');
    }
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const s = this.queue.shift()!;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.o.timeoutMs);
      });
      try {
        const r = await Promise.race([this.driver.signal(s).then(() => 'ok' as const), timeout]);
        if (r === 'timeout') {
          this.stats.timedOut++;
          this.log.warn({ driver: this.driver.name, timeoutMs: this.o.timeoutMs }, 'gate signal timed out');
        } else this.stats.delivered++;
      } catch (e) {
        this.stats.failed++;
        this.log.warn({ driver: this.driver.name, ...errorFields(e) }, 'gate signal failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when every queued signal was handled. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise((r) => (timer = setTimeout(r, this.o.timeoutMs)))]);
    clearTimeout(timer);
    await this.driver.stop();
  }
}

/**
 * The scanner input: keeps a ByteTransport open, feeds a Framer, and reports frames, drops and
 * link state (ScannerEvents).
 *
 * - start() never throws because the device is absent: the state goes 'down' (with the reason)
 *   and opening is retried with capped exponential backoff (initialDelayMs doubling up to
 *   maxDelayMs, minus up to `jitter` of it); when the device returns the state goes 'up' again.
 * - A lost link ('lost' from the transport) discards any partial frame (dropped 'stale'), closes
 *   the transport, goes 'down' and retries the same way.
 * - stop() cancels timers, closes the transport and resolves; 'stopped' is its last event.
 * Logs state changes only (info for up, warn for down); frame contents are never logged.
 */
import { SETTING_DEFAULTS } from '../config/schema.ts';
import { EventEmitter } from 'node:events';
import { errorMessage } from '../errors/faregateError.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import { Framer } from './framer.ts';
import type { ByteTransport, DropReason, FramingOptions, ScannerEvents, ScannerState } from './types.ts';
import type { Component } from '../platform/component.ts';

export interface Clock {
  now(): number;
}

export interface ScannerInputOptions {
  /** Makes the transport; called once per start(), the transport is then re-opened as needed. */
  transportFactory: () => ByteTransport;
  framing?: Partial<FramingOptions>;
  clock?: Clock;
  logger?: Logger;
  /** First retry delay after a failure (ms). Default: the setting's (scanner.reconnect). */
  initialDelayMs?: number;
  /** Retry delay cap (ms). Default: the setting's (scanner.reconnect). */
  maxDelayMs?: number;
  /** Fraction of each delay taken off at random (0..1). Default 0.2. */
  jitter?: number;
  /** Random source for the jitter, [0, 1). Default Math.random. */
  random?: () => number;
}

export interface ScannerCounters {
  state: ScannerState;
  /** Clock time of the last state change. */
  since: number;
  detail: string;
  target: string | undefined;
  /** Bytes received (all opens). */
  bytes: number;
  frames: number;
  dropped: Record<DropReason, number>;
  /** Successful re-opens after the link was down. */
  reconnects: number;
  /** Failed open attempts since the last successful one. */
  failedAttempts: number;
}

const systemClock: Clock = { now: () => Date.now() };

export class ScannerInput extends EventEmitter<ScannerEvents> implements Component {
  readonly name = 'scanner';
  private readonly opts: ScannerInputOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  private framer: Framer;
  private transport: ByteTransport | undefined;
  private running = false;
  /** Bumped on start/stop so callbacks of an older run do nothing. */
  private run = 0;
  private linkOpen = false;
  private everUp = false;
  private attempt: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private framerTimer: NodeJS.Timeout | undefined;
  private nextDelay: number;

  private _state: ScannerState = 'stopped';
  private _since: number;
  private _detail = 'not started';
  private bytes = 0;
  private frames = 0;
  private readonly dropped: Record<DropReason, number> = { overlong: 0, noise: 0, stale: 0, empty: 0, junk: 0 };
  private reconnects = 0;
  private failedAttempts = 0;

  constructor(options: ScannerInputOptions) {
    super();
    this.opts = options;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'scanner-input' });
    this.initialDelayMs = options.initialDelayMs ?? SETTING_DEFAULTS.scannerReconnect.initialDelayMs;
    this.maxDelayMs = Math.max(options.maxDelayMs ?? SETTING_DEFAULTS.scannerReconnect.maxDelayMs, this.initialDelayMs);
    this.jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
    this.random = options.random ?? Math.random;
    this.nextDelay = this.initialDelayMs;
    this._since = this.clock.now();
    // Built now so bad framing options fail at construction, not at start().
    this.framer = this.makeFramer();
  }

  get state(): ScannerState {
    return this._state;
  }

  get counters(): ScannerCounters {
    return {
      state: this._state,
      since: this._since,
      detail: this._detail,
      target: this.transport?.target,
      bytes: this.bytes,
      frames: this.frames,
      dropped: { ...this.dropped },
      reconnects: this.reconnects,
      failedAttempts: this.failedAttempts,
    };
  }

  /** Opens the link (first attempt awaited); on failure the state is 'down' and retries run on. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const run = ++this.run;
    this.everUp = false;
    this.nextDelay = this.initialDelayMs;
    this.failedAttempts = 0;
    this.framer = this.makeFramer();
    let transport: ByteTransport;
    try {
      transport = this.opts.transportFactory();
    } catch (err) {
      // A bad target will not fix itself: report it and stay down (no retries).
      this.setState('down', `cannot create transport: ${errorMessage(err)}`);
      return;
    }
    this.transport = transport;
    transport.on('data', (chunk) => {
      if (run !== this.run || !this.linkOpen) return;
      this.bytes += chunk.length;
      this.framer.push(chunk, this.clock.now());
      this.scheduleFramerTick(run);
    });
    transport.on('lost', (reason) => {
      if (run !== this.run || !this.linkOpen) return;
      void this.onLost(run, transport, reason);
    });
    this.setState('starting', transport.target);
    await this.tryOpen(run, transport);
  }

  /** Stops retrying, closes the link; no events after the 'stopped' state it emits. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.run++;
    this.clearTimers();
    const transport = this.transport;
    const pending = this.attempt;
    this.linkOpen = false;
    this.setState('stopped', 'stopped');
    if (pending !== undefined) {
      // Abort an open in progress (a TCP connect can take seconds), then wait for it to settle.
      await transport?.close().catch(() => {});
      await pending.catch(() => {});
    }
    if (transport !== undefined) {
      await transport.close().catch(() => {});
      transport.removeAllListeners('data');
      transport.removeAllListeners('lost');
    }
    this.transport = undefined;
    this.attempt = undefined;
  }

  private makeFramer(): Framer {
    const framer = new Framer(this.opts.framing);
    framer.on('frame', (frame, at) => {
      if (!this.running) return;
      this.frames++;
      this.emit('frame', frame, at);
    });
    framer.on('dropped', (reason, length, endedBy) => {
      if (!this.running) return;
      this.dropped[reason]++;
      this.log.debug({ reason, length, endedBy }, 'scanner input dropped');
      this.emit('dropped', reason, length, endedBy);
    });
    return framer;
  }

  private async tryOpen(run: number, transport: ByteTransport): Promise<void> {
    const attempt = (async () => {
      try {
        await transport.open();
      } catch (err) {
        if (run !== this.run) return;
        this.failedAttempts++;
        this.setState('down', `open failed: ${errorMessage(err)}`);
        this.scheduleRetry(run, transport);
        return;
      }
      if (run !== this.run) {
        // stop() ran while opening; it awaits this attempt and then closes the transport.
        return;
      }
      this.linkOpen = true;
      if (this.everUp) this.reconnects++;
      this.everUp = true;
      this.failedAttempts = 0;
      this.nextDelay = this.initialDelayMs;
      this.setState('up', transport.target);
    })();
    this.attempt = attempt;
    await attempt;
    if (this.attempt === attempt) this.attempt = undefined;
  }

  private async onLost(run: number, transport: ByteTransport, reason: string): Promise<void> {
    this.linkOpen = false;
    this.clearFramerTimer();
    this.framer.reset();
    this.setState('down', `link lost: ${reason}`);
    await transport.close().catch(() => {});
    if (run !== this.run) return;
    this.scheduleRetry(run, transport);
  }

  private scheduleRetry(run: number, transport: ByteTransport): void {
    if (run !== this.run) return;
    const base = this.nextDelay;
    this.nextDelay = Math.min(this.nextDelay * 2, this.maxDelayMs);
    const delay = Math.max(1, Math.round(base * (1 - this.jitter * this.random())));
    this.log.debug({ delayMs: delay }, 'scanner reopen scheduled');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (run !== this.run) return;
      void this.tryOpen(run, transport);
    }, delay);
  }

  private scheduleFramerTick(run: number): void {
    this.clearFramerTimer();
    const deadline = this.framer.nextDeadline();
    if (deadline === undefined) return;
    const delay = Math.max(1, deadline - this.clock.now());
    this.framerTimer = setTimeout(() => {
      this.framerTimer = undefined;
      if (run !== this.run) return;
      this.framer.tick(this.clock.now());
      this.scheduleFramerTick(run);
    }, delay);
  }

  private clearFramerTimer(): void {
    if (this.framerTimer !== undefined) clearTimeout(this.framerTimer);
    this.framerTimer = undefined;
  }

  private clearTimers(): void {
    this.clearFramerTimer();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private setState(state: ScannerState, detail: string): void {
    const changed = state !== this._state;
    this._detail = detail;
    if (!changed) {
      this.log.debug({ state, detail }, 'scanner still ' + state);
      return;
    }
    this._state = state;
    this._since = this.clock.now();
    if (state === 'down') this.log.warn({ state, detail }, 'scanner down');
    else this.log.info({ state, detail }, `scanner ${state}`);
    this.emit('state', state, detail);
  }
}

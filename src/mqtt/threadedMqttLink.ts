/**
 * The validator's MQTT link with the connection in a worker thread (`mqtt.worker`, the default):
 * the worker (src/mqtt/mqttWorker.ts) runs MqttLink and does all of the MQTT work — reading the
 * socket, parsing packets, allocating payloads — and this side is the same MqttPort the other
 * parts use. A payload crosses by transfer: a flood of oversized messages or a 20 MB list costs
 * the main thread (where decisions are made) a message per payload, not a copy of its bytes; a
 * payload from a subscription's `holdFrom` size stays in the worker, and the main thread only
 * sends it on to the thread that parses it (a list worker) or releases it. (On
 * a fresh page every 4 KiB, allocating and filling a 20 MB buffer holds a thread for ~100 ms on
 * the test machine; see the listFlood bench.)
 *
 * Behaviour is MqttLink's: the same options, will, retained status at every connect (published
 * from here, with the fields of now), clean offline status at stop, errors (MQTT_NOT_CONNECTED,
 * MQTT_LINK_STOPPED). Log records of the worker come out of this side's logger. A worker that
 * dies is replaced after `reconnectPeriodMs` with every topic subscribed again.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { MqttConfig } from '../config/schema.ts';
import { topics } from '../contract/settlement.ts';
import { FaregateError, errorFields } from '../errors/faregateError.ts';
import type { ErrorCode } from '../errors/errorCodes.ts';
import type { Component } from '../platform/component.ts';
import type { Logger } from '../platform/logger.ts';
import { MqttLink } from './mqttLink.ts';
import type { HeldPayload, MessageHandler, MqttLinkEvents, MqttPort, SubscribeOptions } from './mqttPort.ts';
import type { FromWorker, MqttWorkerData, Subscription, ToWorker } from './mqttThread.ts';

// Compiled (dist/…/mqttWorker.js), the worker is plain JavaScript; from the TypeScript sources
// (tests, tsx) mqttWorker.mjs registers tsx first (as src/lists/signedListJob.ts does).
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './mqttWorker.mjs' : './mqttWorker.js', import.meta.url);

/** How long `stop()` waits for the worker's clean disconnect (its own waits are 2 s + 2 s). */
const STOP_WAIT_MS = 6000;

interface Waiting {
  resolve(): void;
  reject(e: Error): void;
}

export class ThreadedMqttLink extends EventEmitter<MqttLinkEvents> implements MqttPort, Component {
  readonly name = 'mqtt';
  readonly topics: ReturnType<typeof topics>;
  private worker: Worker | undefined;
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly limits = new Map<string, SubscribeOptions>();
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private connectedFlag = false;
  private stopping = false;
  private started = false;
  private respawn: NodeJS.Timeout | undefined;
  private stopped: (() => void) | undefined;
  connects = 0;

  constructor(
    private readonly cfg: MqttConfig,
    private readonly deviceId: string,
    private readonly statusFields: () => Record<string, unknown>,
    private readonly log: Logger,
  ) {
    super();
    this.topics = topics(cfg.topicPrefix, deviceId);
  }

  get connected(): boolean {
    return this.connectedFlag;
  }

  start(): void {
    // Read the credential and TLS files here, so that a missing one fails the start as it does
    // with the link on this thread (the worker reads them again).
    new MqttLink(this.cfg, this.deviceId, () => ({}), this.log).clientOptions();
    this.stopping = false;
    this.started = true;
    this.spawn();
  }

  private spawn(): void {
    const data: MqttWorkerData = {
      cfg: this.cfg,
      deviceId: this.deviceId,
      topics: [...this.handlers.keys()].map((topic) => this.subscription(topic)),
      statusFields: {},
    };
    const w = new Worker(WORKER_URL, { workerData: data });
    this.worker = w;
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (e) => this.log.error(errorFields(e), 'mqtt worker failed'));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failWaiting(new FaregateError('MQTT_NOT_CONNECTED', 'mqtt worker ended'));
      if (this.connectedFlag) {
        this.connectedFlag = false;
        this.emit('disconnected');
      }
      if (this.stopping || !this.started) return;
      this.log.error({ code }, 'mqtt worker ended unexpectedly; starting a new one');
      this.respawn = setTimeout(() => this.spawn(), this.cfg.reconnectPeriodMs);
    });
  }

  private onMessage(m: FromWorker): void {
    switch (m.ev) {
      case 'message': {
        const h = this.handlers.get(m.topic);
        this.superseded(m.topic, m.superseded);
        if (!h) return this.next(m.topic, undefined);
        const payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
        return this.next(
          m.topic,
          this.handle(m.topic, () => h(m.topic, payload)),
        );
      }
      case 'held': {
        const opts = this.limits.get(m.topic);
        this.superseded(m.topic, m.superseded);
        const payload = this.heldPayload(m.topic, m.id, m.bytes);
        const held = opts?.held;
        if (!held) {
          payload.release();
          return this.next(m.topic, undefined);
        }
        return this.next(
          m.topic,
          this.handle(m.topic, () => held(payload)),
        );
      }
      case 'oversized':
        try {
          this.limits.get(m.topic)?.oversized?.(m.topic, m.bytes);
        } catch (e) {
          this.log.error({ topic: m.topic, ...errorFields(e) }, 'message handler failed');
        }
        return;
      case 'published': {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (!w) return;
        if (!m.error) w.resolve();
        else
          w.reject(
            m.error.code ? new FaregateError(m.error.code as ErrorCode, m.error.message) : new Error(m.error.message),
          );
        return;
      }
      case 'connected':
        if (this.stopping) return;
        this.connectedFlag = true;
        this.connects++;
        void this.publishStatus();
        this.emit('connected', m.sessionPresent);
        return;
      case 'disconnected':
        if (!this.connectedFlag) return;
        this.connectedFlag = false;
        if (!this.stopping) this.emit('disconnected');
        return;
      case 'log':
        this.log[m.level](m.obj, m.msg);
        return;
      case 'stopped':
        this.stopped?.();
        return;
    }
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  /** Runs a handler; it must not throw (errors are logged). Its promise, if any, says when it is done. */
  private handle(topic: string, run: () => unknown): Promise<unknown> | undefined {
    try {
      const r = run();
      return r instanceof Promise ? r : undefined;
    } catch (e) {
      this.log.error({ topic, ...errorFields(e) }, 'message handler failed');
      return undefined;
    }
  }

  /** A oneAtATime topic: once the handler is done, the worker that sent the message may send the next. */
  private next(topic: string, done: Promise<unknown> | undefined): void {
    if (!this.limits.get(topic)?.oneAtATime) return;
    const w = this.worker;
    const ask = () => {
      if (this.worker === w) this.post({ op: 'next', topic });
    };
    if (done) done.then(ask, ask);
    else ask();
  }

  private superseded(topic: string, count: number | undefined): void {
    if (!count) return;
    try {
      this.limits.get(topic)?.superseded?.(topic, count);
    } catch (e) {
      this.log.error({ topic, ...errorFields(e) }, 'message handler failed');
    }
  }

  /** A handle to a payload the worker keeps: only the worker that read it can send it. */
  private heldPayload(topic: string, id: number, bytes: number): HeldPayload {
    const w = this.worker;
    let done = false;
    return {
      topic,
      bytes,
      sendTo: (port) => {
        if (done || this.worker !== w || !w) {
          done = true;
          port.close();
          return;
        }
        done = true;
        const m: ToWorker = { op: 'send', id, port };
        w.postMessage(m, [port]);
      },
      release: () => {
        if (done) return;
        done = true;
        if (this.worker === w) this.post({ op: 'release', id });
      },
    };
  }

  private failWaiting(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** Subscribes (QoS 1) to an exact topic; the handler must not throw (errors are logged). */
  subscribe(topic: string, handler: MessageHandler, opts?: SubscribeOptions): void {
    this.handlers.set(topic, handler);
    if (opts) this.limits.set(topic, opts);
    this.post({ op: 'subscribe', ...this.subscription(topic) });
  }

  private subscription(topic: string): Subscription {
    const o = this.limits.get(topic);
    return {
      topic,
      ...(o?.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}),
      ...(o?.held && o.holdFrom !== undefined ? { holdFrom: o.holdFrom } : {}),
      ...(o?.oneAtATime ? { oneAtATime: true } : {}),
    };
  }

  /** Publishes; resolves when the broker has it (QoS 1: PUBACK). Rejects when not connected. */
  publish(topic: string, payload: unknown, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    if (this.stopping) return Promise.reject(new FaregateError('MQTT_LINK_STOPPED', 'mqtt link stopped'));
    if (!this.worker || !this.connectedFlag)
      return Promise.reject(new FaregateError('MQTT_NOT_CONNECTED', 'mqtt not connected'));
    const id = this.nextId++;
    const text = JSON.stringify(payload);
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post({ op: 'publish', id, topic, text, qos: opts.qos, retain: opts.retain ?? false });
    });
  }

  /** Publishes the retained status now (e.g. when an alarm changes). Never throws. */
  async publishStatus(): Promise<void> {
    if (!this.connectedFlag || this.stopping) return;
    try {
      const status = { online: true, deviceId: this.deviceId, ...this.statusFields() };
      await this.publish(this.topics.status, status, { qos: 1, retain: true });
    } catch (e) {
      this.log.warn(errorFields(e), 'status publish failed');
    }
  }

  /** Publishes a clean offline status with the last known figures, disconnects, ends the worker. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.respawn);
    const w = this.worker;
    if (!w) return;
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.stopped = resolve;
        this.post({ op: 'stop', statusFields: this.safeStatusFields() });
      }),
      new Promise<void>((r) => (timer = setTimeout(r, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    this.stopped = undefined;
    this.worker = undefined;
    this.connectedFlag = false;
    this.failWaiting(new FaregateError('MQTT_LINK_STOPPED', 'mqtt link stopped'));
    await w.terminate();
  }

  /** The status fields, or none when they cannot be read. */
  private safeStatusFields(): Record<string, unknown> {
    try {
      return this.statusFields();
    } catch (e) {
      this.log.warn(errorFields(e), 'status fields unavailable');
      return {};
    }
  }
}

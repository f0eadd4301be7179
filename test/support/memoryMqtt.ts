/**
 * An in-memory MQTT broker and link for unit tests of rules (list sync, commands, uploader,
 * telemetry): exact-topic delivery, retained messages, QoS ignored (delivery is immediate and
 * in order), connect/disconnect on demand. The wire itself is proven by the tests that run a
 * real Mosquitto (test/support/mosquitto.ts).
 */
import { EventEmitter } from 'node:events';
import { topics } from '../../src/contract/settlement.ts';
import type { MessageHandler, MqttLinkEvents, MqttPort, SubscribeOptions } from '../../src/mqtt/mqttPort.ts';

export interface Published {
  topic: string;
  payload: unknown;
  retain: boolean;
  from: string;
}

export class MemoryBroker {
  readonly retained = new Map<string, Buffer>();
  readonly log: Published[] = [];
  private readonly subs = new Map<string, Set<MemoryMqttLink>>();
  private readonly watchers = new Map<string, ((payload: Buffer, from: string) => void)[]>();

  /** An outside party (a backend, a monitor) listening on a topic; called after delivery. */
  watch(topic: string, fn: (payload: Buffer, from: string) => void): void {
    this.watchers.set(topic, [...(this.watchers.get(topic) ?? []), fn]);
  }

  /** Publishes as an outside party (the backend, an operator, an attacker). */
  inject(topic: string, payload: unknown, opts: { retain?: boolean } = {}): void {
    const buf = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    this.deliver(topic, buf, opts.retain ?? false, 'test');
  }

  /** Parsed payloads published on a topic, oldest first. */
  messages(topic: string): unknown[] {
    return this.log.filter((m) => m.topic === topic).map((m) => m.payload);
  }

  /** The retained payload of a topic, parsed; undefined when none. */
  retainedJson(topic: string): unknown {
    const b = this.retained.get(topic);
    return b === undefined ? undefined : JSON.parse(b.toString('utf8'));
  }

  deliver(topic: string, payload: Buffer, retain: boolean, from: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      parsed = payload.toString('utf8');
    }
    this.log.push({ topic, payload: parsed, retain, from });
    if (retain) {
      if (payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    for (const l of this.subs.get(topic) ?? []) l.receive(topic, payload);
    for (const w of this.watchers.get(topic) ?? []) w(payload, from);
  }

  subscribe(topic: string, link: MemoryMqttLink): void {
    let set = this.subs.get(topic);
    if (!set) this.subs.set(topic, (set = new Set()));
    set.add(link);
    const r = this.retained.get(topic);
    if (r) link.receive(topic, r);
  }

  unsubscribeAll(link: MemoryMqttLink): void {
    for (const set of this.subs.values()) set.delete(link);
  }
}

export class MemoryMqttLink extends EventEmitter<MqttLinkEvents> implements MqttPort {
  readonly topics: ReturnType<typeof topics>;
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly limits = new Map<string, SubscribeOptions>();
  private isConnected = false;
  /** Set to make every publish fail (a broker that refuses, a dropped connection mid-publish). */
  failPublishes = false;
  statusPublishes = 0;
  /** Set by stop(); publishes attempted after it are counted (and refused): there must be none. */
  stopped = false;
  publishesAfterStop: string[] = [];

  constructor(
    readonly broker: MemoryBroker,
    readonly deviceId: string,
    private readonly statusFields: () => Record<string, unknown> = () => ({}),
    prefix = 'faregate/v1',
  ) {
    super();
    this.topics = topics(prefix, deviceId);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Simulates a (re)connect: subscriptions are renewed, retained messages delivered, status published. */
  connect(sessionPresent = false): void {
    this.isConnected = true;
    for (const t of this.handlers.keys()) this.broker.subscribe(t, this);
    void this.publishStatus();
    this.emit('connected', sessionPresent);
  }

  /** Simulates a lost connection (the will is not published: the fake has no will). */
  disconnect(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.broker.unsubscribeAll(this);
    this.emit('disconnected');
  }

  /** Like the real link: the clean offline status with the last figures, then no more writes. */
  async stop(): Promise<void> {
    if (this.isConnected) {
      const status = { online: false, deviceId: this.deviceId, ...this.statusFields() };
      this.broker.deliver(this.topics.status, Buffer.from(JSON.stringify(status)), true, this.deviceId);
    }
    this.stopped = true;
    this.disconnect();
  }

  /** Simulates the unclean loss of the gate: the broker publishes the will. */
  die(): void {
    const will = Buffer.from(JSON.stringify({ online: false, deviceId: this.deviceId }));
    this.disconnect();
    this.broker.deliver(this.topics.status, will, true, 'broker');
  }

  subscribe(topic: string, handler: MessageHandler, opts?: SubscribeOptions): void {
    this.handlers.set(topic, handler);
    if (opts) this.limits.set(topic, opts);
    if (this.isConnected) this.broker.subscribe(topic, this);
  }

  receive(topic: string, payload: Buffer): void {
    const limit = this.limits.get(topic);
    if (limit?.maxBytes !== undefined && payload.byteLength > limit.maxBytes) {
      limit.oversized?.(topic, payload.byteLength);
      return;
    }
    this.handlers.get(topic)?.(topic, payload);
  }

  async publish(topic: string, payload: unknown, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    if (this.stopped) {
      this.publishesAfterStop.push(topic);
      throw new Error('mqtt link stopped');
    }
    if (!this.isConnected || this.failPublishes) throw new Error('mqtt not connected');
    this.broker.deliver(topic, Buffer.from(JSON.stringify(payload)), opts.retain ?? false, this.deviceId);
  }

  async publishStatus(): Promise<void> {
    if (this.stopped) this.publishesAfterStop.push(this.topics.status);
    if (!this.isConnected) return;
    this.statusPublishes++;
    await this.publish(
      this.topics.status,
      { online: true, deviceId: this.deviceId, ...this.statusFields() },
      { qos: 1, retain: true },
    ).catch(() => undefined);
  }
}

/**
 * The validator's MQTT link (mqtt.js 5): connects with the configured URL, credentials, TLS and
 * protocol version (3.1.1 or 5); sets the retained status topic as the MQTT will
 * (`{"online": false, "deviceId": …}`), publishes `{"online": true, …}` retained on every
 * (re)connect, and on a clean shutdown `{"online": false, …}` with the last known figures (backlog,
 * alarms, mode, place, …). Other components publish and subscribe through it; once `stop()` has
 * begun nothing more is written to the connection (a late publish is refused, not sent).
 */
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttConfig } from '../config/schema.ts';
import { topics } from '../contract/settlement.ts';
import { FaregateError, errorFields } from '../errors/faregateError.ts';
import type { Logger } from '../platform/logger.ts';
import type { Component } from '../platform/component.ts';
import type { MessageHandler, MqttLinkEvents, MqttPort, SubscribeOptions } from './mqttPort.ts';
import { OversizedPublishFilter } from './oversizedPublishFilter.ts';

export type { MessageHandler, MqttLinkEvents } from './mqttPort.ts';

export class MqttLink extends EventEmitter<MqttLinkEvents> implements MqttPort, Component {
  readonly name = 'mqtt';
  private client: MqttClient | undefined;
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly limits = new Map<string, SubscribeOptions>();
  readonly topics: ReturnType<typeof topics>;
  private connectedFlag = false;
  private stopping = false;
  private subscribedThisRun = false;
  connects = 0;

  constructor(
    private readonly cfg: MqttConfig,
    private readonly deviceId: string,
    /** The status fields beyond `online`, read at each (re)connect and on `publishStatus`. */
    private readonly statusFields: () => Record<string, unknown>,
    private readonly log: Logger,
    /** Publish the online status at every (re)connect (false: the owner does, see threadedMqttLink.ts). */
    private readonly statusOnConnect = true,
  ) {
    super();
    this.topics = topics(cfg.topicPrefix, deviceId);
  }

  get connected(): boolean {
    return this.connectedFlag;
  }

  /** The options mqtt.js gets; exported for tests of the mapping. */
  clientOptions(): IClientOptions {
    const c = this.cfg;
    const o: IClientOptions = {
      // The device id: the deploy configuration binds the client id to the username (the device
      // id), so one account cannot take another gate's session (docs/deploy/mosquitto/).
      clientId: c.clientId ?? this.deviceId,
      protocolVersion: c.protocolVersion,
      keepalive: c.keepalive,
      clean: false,
      reconnectPeriod: c.reconnectPeriodMs,
      connectTimeout: 10_000,
      resubscribe: true,
      will: {
        topic: this.topics.status,
        payload: Buffer.from(JSON.stringify({ online: false, deviceId: this.deviceId })),
        qos: 1,
        retain: true,
      },
    };
    // No `maximumPacketSize`: Mosquitto 2.0 counts a packet one byte short of MQTT 5's size and
    // sends a message of exactly the limit + 1, which mqtt.js answers by closing the connection
    // (and the broker re-sends it at every reconnect). Oversized lists are dropped in the link.
    if (c.protocolVersion === 5) o.properties = { sessionExpiryInterval: 7 * 86400 };
    if (c.username !== undefined) o.username = c.username;
    if (c.passwordFile !== undefined) o.password = readFileSync(c.passwordFile, 'utf8').replace(/\r?\n$/, '');
    if (c.tls) {
      if (c.tls.ca) o.ca = readFileSync(c.tls.ca);
      if (c.tls.cert) o.cert = readFileSync(c.tls.cert);
      if (c.tls.key) o.key = readFileSync(c.tls.key);
      if (c.tls.servername) o.servername = c.tls.servername;
      o.rejectUnauthorized = c.tls.rejectUnauthorized;
    }
    return o;
  }

  start(): void {
    this.stopping = false;
    const client = mqtt.connect(this.cfg.url, { ...this.clientOptions(), manualConnect: true });
    this.client = client;
    this.filterInbound(client);
    client.connect();
    client.on('connect', (connack) => {
      if (this.stopping) return;
      // Small QoS 1 messages back to back (accept announcements, acks) must not wait for Nagle's
      // algorithm and the broker's delayed ACK (~40 ms each): TCP_NODELAY, as Mosquitto sets it.
      (client.stream as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
      this.connectedFlag = true;
      this.connects++;
      this.log.info(
        { url: this.cfg.url, sessionPresent: connack.sessionPresent, protocolVersion: this.cfg.protocolVersion },
        'mqtt connected',
      );
      if (this.statusOnConnect) void this.publishStatus();
      // The broker keeps subscriptions in a persistent session, but a session left by an earlier
      // run may lack topics this run handles (new settings): subscribe to all on the first
      // connect, and again whenever the broker has no session.
      if ((!connack.sessionPresent || !this.subscribedThisRun) && this.handlers.size > 0) {
        this.subscribedThisRun = true;
        const wanted = [...this.handlers.keys()];
        // Logged when the broker has granted them: from then on nothing published to them is
        // missed (before, a message that is not retained can pass this gate by).
        client.subscribe(wanted, { qos: 1 }, (err) =>
          err
            ? this.log.warn({ err: err.message }, 'subscribe failed')
            : this.log.info({ topics: wanted.length }, 'mqtt subscribed'),
        );
      }
      this.emit('connected', connack.sessionPresent ?? false);
    });
    client.on('close', () => {
      if (this.connectedFlag && !this.stopping) {
        this.connectedFlag = false;
        this.log.warn({ url: this.cfg.url }, 'mqtt disconnected');
        this.emit('disconnected');
      }
    });
    client.on('error', (err) => this.log.warn(errorFields(err), 'mqtt error'));
    client.on('message', (topic, payload) => {
      const h = this.handlers.get(topic);
      if (!h) return;
      try {
        const limit = this.limits.get(topic);
        if (limit?.maxBytes !== undefined && payload.byteLength > limit.maxBytes) {
          limit.oversized?.(topic, payload.byteLength);
          return;
        }
        h(topic, payload);
      } catch (e) {
        this.log.error({ topic, ...errorFields(e) }, 'message handler failed');
      }
    });
  }

  /**
   * Puts the oversized-publish filter (src/mqtt/oversizedPublishFilter.ts) between every
   * connection's socket and mqtt.js: a message over its topic's `maxBytes` is skipped as its
   * bytes stream past, acknowledged and reported to `oversized`, never gathered by mqtt.js.
   * (mqtt.js builds a stream per connection and pipes it into its parser; only that pipe is
   * redirected: writes, errors and close stay the socket's own.) The link's own size check
   * below still applies to what passes (QoS 2).
   */
  private filterInbound(client: MqttClient): void {
    const c = client as unknown as { streamBuilder?: (cl: MqttClient) => NodeJS.ReadWriteStream };
    const build = c.streamBuilder;
    if (typeof build !== 'function') return;
    c.streamBuilder = (cl) => {
      const stream = build(cl);
      const filter = new OversizedPublishFilter({
        protocolVersion: this.cfg.protocolVersion,
        limitOf: (topic) => (this.handlers.has(topic) ? this.limits.get(topic)?.maxBytes : undefined),
        dropped: (topic, bytes) => {
          try {
            this.limits.get(topic)?.oversized?.(topic, bytes);
          } catch (e) {
            this.log.error({ topic, ...errorFields(e) }, 'oversized handler failed');
          }
        },
        send: (packet) => void stream.write(packet),
      });
      const pipe = stream.pipe.bind(stream);
      stream.pipe = <T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T =>
        pipe(filter).pipe(dest, opts);
      return stream;
    };
  }

  /** Subscribes (QoS 1) to an exact topic; the handler must not throw (errors are logged). */
  subscribe(topic: string, handler: MessageHandler, opts?: SubscribeOptions): void {
    this.handlers.set(topic, handler);
    if (opts) this.limits.set(topic, opts);
    if (this.client?.connected) this.client.subscribe(topic, { qos: 1 });
  }

  /** Publishes; resolves when the broker has it (QoS 1: PUBACK). Rejects when not connected. */
  async publish(topic: string, payload: unknown, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    await this.publishText(topic, JSON.stringify(payload), opts);
  }

  /** Publishes a payload already serialised (the MQTT worker thread gets JSON text). */
  async publishText(topic: string, text: string, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    const client = this.client;
    if (this.stopping) throw new FaregateError('MQTT_LINK_STOPPED', 'mqtt link stopped');
    if (!client || !this.connectedFlag) throw new FaregateError('MQTT_NOT_CONNECTED', 'mqtt not connected');
    await client.publishAsync(topic, text, { qos: opts.qos, retain: opts.retain ?? false });
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

  /** Publishes a clean offline status with the last known figures, then disconnects. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.stopping = true;
    if (this.connectedFlag) {
      let wait: NodeJS.Timeout | undefined;
      try {
        const status = { online: false, deviceId: this.deviceId, at: Date.now(), ...this.safeStatusFields() };
        await Promise.race([
          client.publishAsync(this.topics.status, JSON.stringify(status), { qos: 1, retain: true }),
          new Promise((r) => (wait = setTimeout(r, 2000))),
        ]);
      } catch {
        /* going down anyway */
      } finally {
        clearTimeout(wait);
      }
    }
    // mqtt.js's end(false) first waits for the PUBACK of every QoS 1 message in flight, then for the
    // broker to close the socket: with a broker that is gone or frozen that is forever (SIGTERM hung,
    // or Node exited with code 13 before the store was closed). What is in flight is a tap batch (on
    // disk, re-sent at the next start) or a status: drop it, and bound the wait for the socket.
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      client.endAsync(false).then(
        () => true,
        () => true,
      ),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), 2000))),
    ]);
    clearTimeout(timer);
    if (!ended) client.stream?.destroy();
    this.client = undefined;
    this.connectedFlag = false;
  }

  /** The status fields, or none when they cannot be read (going down anyway). */
  private safeStatusFields(): Record<string, unknown> {
    try {
      return this.statusFields();
    } catch (e) {
      this.log.warn(errorFields(e), 'status fields unavailable for the offline status');
      return {};
    }
  }
}

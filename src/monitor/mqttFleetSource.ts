/**
 * The MQTT side of the monitor: a non-persistent (clean session) client that subscribes to the
 * fleet's status, metrics and events and hands every message to a FleetModel. Works on MQTT
 * 3.1.1 and 5, against Mosquitto and aedes. It only reads; a broker with ACLs needs an account
 * that may read `P/gates/+/status`, `P/gates/+/metrics` and `P/gates/+/events`.
 * With `rootKeys` it also reads the retained `P/trust`, `P/deny` and `P/jtt-roots` and checks each document
 * (retainedLists.ts); the latest document of a topic wins, a slower check of an older one is dropped.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { FaregateError } from '../errors/faregateError.ts';
import type { RootKeySet } from '../lists/signedList.ts';
import { FleetModel } from './fleetModel.ts';
import { checkRetainedList, type RetainedListType } from './retainedLists.ts';

export interface FleetSourceOptions {
  url: string;
  prefix: string;
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
  ca?: string;
  rejectUnauthorized?: boolean;
  connectTimeoutMs?: number;
  /** The list root keys: check the retained lists on the broker. */
  rootKeys?: RootKeySet;
}

export class MqttFleetSource {
  private client: MqttClient | undefined;

  constructor(
    private readonly o: FleetSourceOptions,
    readonly model: FleetModel,
    private readonly onChange: () => void = () => {},
  ) {}

  /** Connects and subscribes; rejects when the first connection or the subscription fails. */
  async start(): Promise<void> {
    const opts: IClientOptions = {
      clientId: `faregate-monitor-${randomBytes(4).toString('hex')}`,
      protocolVersion: this.o.protocolVersion,
      clean: true,
      connectTimeout: this.o.connectTimeoutMs ?? 5000,
      reconnectPeriod: 2000,
      resubscribe: true,
    };
    if (this.o.username !== undefined) opts.username = this.o.username;
    if (this.o.password !== undefined) opts.password = this.o.password;
    if (this.o.ca !== undefined) opts.ca = this.o.ca;
    if (this.o.rejectUnauthorized !== undefined) opts.rejectUnauthorized = this.o.rejectUnauthorized;
    const client = mqtt.connect(this.o.url, opts);
    this.client = client;
    const listTopics = new Map<string, RetainedListType>([
      [`${this.o.prefix}/trust`, 'trust'],
      [`${this.o.prefix}/deny`, 'deny'],
      [`${this.o.prefix}/jtt-roots`, 'jtt-roots'],
    ]);
    const latest = new Map<RetainedListType, number>();
    const roots = this.o.rootKeys;
    if (roots) this.model.watchRetainedLists();
    client.on('message', (topic, payload) => {
      const type = roots ? listTopics.get(topic) : undefined;
      if (roots && type) {
        const seq = (latest.get(type) ?? 0) + 1;
        latest.set(type, seq);
        void checkRetainedList(type, payload, roots).then((check) => {
          if (latest.get(type) !== seq) return;
          this.model.setRetainedList(type, check);
          this.onChange();
        });
        return;
      }
      if (this.model.handle(topic, payload)) this.onChange();
    });
    await new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      const onError = (err: Error) => (lastError = err);
      const fail = (err: Error) => {
        client.removeListener('connect', ok);
        client.removeListener('close', onClose);
        reject(err);
      };
      // The first attempt ended without a CONNACK (refused, unreachable, bad credentials): fail
      // fast instead of retrying; once connected, mqtt.js reconnects on its own.
      const onClose = () =>
        fail(lastError ?? new FaregateError('MQTT_NOT_CONNECTED', `cannot connect to ${this.o.url}`));
      const ok = () => {
        client.removeListener('close', onClose);
        resolve();
      };
      client.once('connect', ok);
      client.on('error', onError);
      client.once('close', onClose);
      const within = `no connection to ${this.o.url} within ${opts.connectTimeout} ms`;
      setTimeout(
        () => fail(new FaregateError('MQTT_NOT_CONNECTED', within)),
        (opts.connectTimeout ?? 5000) + 100,
      ).unref();
    });
    const granted = await client.subscribeAsync(FleetModel.subscriptions(this.o.prefix), { qos: 1 });
    if (roots) await client.subscribeAsync([...listTopics.keys()], { qos: 1 });
    // 0x80 and above: refused (e.g. by an ACL on MQTT 5; Mosquitto answers 0x80 on 3.1.1 too).
    const refused = granted.filter((g) => g.qos >= 0x80);
    if (refused.length === granted.length) {
      const topics = refused.map((g) => g.topic).join(', ');
      throw new FaregateError('MQTT_SUBSCRIPTION_REFUSED', `the broker refused every subscription (${topics})`);
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true).catch(() => undefined);
  }
}

/**
 * The MQTT link with its connection in a worker thread (`mqtt.worker`, the default) behaves as the
 * link on the main thread, over a real Mosquitto: the retained status at connect with the fields
 * of now, delivery of subscribed topics (a 5 MB payload intact), publish acknowledged by the
 * broker, a payload over a subscription's limit dropped in the worker (only its size crosses),
 * the clean offline status at stop and no publish after it, and a worker that dies replaced
 * with every topic subscribed again.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttSchema } from '../../src/config/schema.ts';
import { FaregateError } from '../../src/errors/faregateError.ts';
import { ThreadedMqttLink } from '../../src/mqtt/threadedMqttLink.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the MQTT link in a worker thread', () => {
  let broker: Mosquitto;
  let watcher: mqtt.MqttClient;
  const seen = new Map<string, Buffer>();
  beforeAll(async () => {
    broker = await startMosquitto();
    watcher = await mqtt.connectAsync(broker.url, { clientId: 'worker-link-watcher' });
    watcher.on('message', (t, p) => seen.set(t, p));
    await watcher.subscribeAsync('faregate/v1/gates/gate-w/#', { qos: 1 });
  });
  afterAll(async () => {
    await watcher?.endAsync();
    await broker?.stop();
  });

  it('connects, delivers, publishes, drops what is over a limit, and stops cleanly', async () => {
    let backlog = 7;
    const cfg = MqttSchema.parse({ url: broker.url, reconnectPeriodMs: 200 });
    const link = new ThreadedMqttLink(cfg, 'gate-w', () => ({ backlog }), silentLogger);
    const got: Buffer[] = [];
    const oversized: number[] = [];
    link.subscribe('faregate/v1/deny', (_t, p) => got.push(p), {
      maxBytes: 6 * 1024 * 1024,
      oversized: (_t, bytes) => oversized.push(bytes),
    });
    const up = new Promise<boolean>((r) => link.once('connected', r));
    link.start();
    await up;
    expect(link.connected).toBe(true);
    await until(() => seen.has(link.topics.status));
    expect(JSON.parse(seen.get(link.topics.status)!.toString())).toMatchObject({ online: true, backlog: 7 });

    const big = randomBytes(5 * 1024 * 1024);
    const tooBig = Buffer.alloc(6 * 1024 * 1024 + 1, 0x7b);
    await watcher.publishAsync('faregate/v1/deny', big, { qos: 1 });
    await watcher.publishAsync('faregate/v1/deny', tooBig, { qos: 1 });
    await watcher.publishAsync('faregate/v1/deny', 'small', { qos: 1 });
    await until(() => got.length === 2 && oversized.length === 1);
    expect(sha(got[0]!)).toBe(sha(big));
    expect(got[1]!.toString()).toBe('small');
    expect(oversized).toEqual([tooBig.length]);

    await link.publish(link.topics.events, { kind: 'test_event' }, { qos: 1 });
    await until(() => seen.has(link.topics.events));
    expect(JSON.parse(seen.get(link.topics.events)!.toString())).toEqual({ kind: 'test_event' });

    backlog = 3;
    await link.stop();
    expect(JSON.parse(seen.get(link.topics.status)!.toString())).toMatchObject({ online: false, backlog: 3 });
    expect(link.connected).toBe(false);
    const late = await link.publish(link.topics.events, { kind: 'late' }, { qos: 1 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(FaregateError);
    expect((late as FaregateError).code).toBe('MQTT_LINK_STOPPED');
  });

  it('replaces a worker that died and subscribes every topic again', async () => {
    const cfg = MqttSchema.parse({ url: broker.url, reconnectPeriodMs: 200 });
    const link = new ThreadedMqttLink(cfg, 'gate-w', () => ({}), silentLogger);
    const got: string[] = [];
    link.subscribe('t/worker-restart', (_t, p) => got.push(p.toString()));
    let ups = 0;
    let downs = 0;
    link.on('connected', () => ups++);
    link.on('disconnected', () => downs++);
    link.start();
    await until(() => ups === 1);
    const worker = (link as unknown as { worker: Worker }).worker;
    await worker.terminate();
    await until(() => downs === 1 && ups === 2);
    await until(() => {
      void watcher.publishAsync('t/worker-restart', 'after', { qos: 1 });
      return got.includes('after');
    });
    await link.stop();
  });

  it('fails its start at once when the password file is missing, as on the main thread', () => {
    const cfg = MqttSchema.parse({ url: broker.url, username: 'gate-w', passwordFile: '/nonexistent/pw' });
    const link = new ThreadedMqttLink(cfg, 'gate-w', () => ({}), silentLogger);
    expect(() => link.start()).toThrow(/nonexistent/);
  });
});

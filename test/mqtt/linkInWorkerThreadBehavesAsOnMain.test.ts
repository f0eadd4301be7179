/**
 * The MQTT link with its connection in a worker thread (`mqtt.worker`, the default) behaves as the
 * link on the main thread, over a real Mosquitto: the retained status at connect with the fields
 * of now, delivery of subscribed topics (a 5 MB payload intact), publish acknowledged by the
 * broker, a payload over a subscription's limit dropped in the worker (only its size crosses),
 * the clean offline status at stop and no publish after it, a worker that dies replaced
 * with every topic subscribed again, and a payload from a subscription's `holdFrom` size kept in
 * the worker: sent from there to another thread's port intact, or released (a released or lost
 * payload closes the port with no message), and a oneAtATime topic delivered one message at a
 * time (the newest waiting in the worker, the ones it replaced counted).
 */
import { createHash, randomBytes } from 'node:crypto';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttSchema } from '../../src/config/schema.ts';
import { FaregateError } from '../../src/errors/faregateError.ts';
import type { HeldPayload } from '../../src/mqtt/mqttPort.ts';
import { ThreadedMqttLink } from '../../src/mqtt/threadedMqttLink.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** What arrives on a port: the bytes, or `closed` when it closes with no message. */
function arrival(port: MessagePort): Promise<Uint8Array | 'closed'> {
  return new Promise((resolve) => {
    port.once('message', (m: Uint8Array) => resolve(m));
    port.once('close', () => resolve('closed'));
  });
}

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

  it('keeps a large payload in the worker and sends it straight to another port, or frees it', async () => {
    const cfg = MqttSchema.parse({ url: broker.url, reconnectPeriodMs: 200 });
    const link = new ThreadedMqttLink(cfg, 'gate-w', () => ({}), silentLogger);
    const messages: Buffer[] = [];
    const held: HeldPayload[] = [];
    link.subscribe('t/held', (_t, p) => messages.push(p), { holdFrom: 64 * 1024, held: (p) => held.push(p) });
    const up = new Promise<boolean>((r) => link.once('connected', r));
    link.start();
    await up;
    const big = randomBytes(3 * 1024 * 1024);
    const other = randomBytes(100 * 1024);
    await watcher.publishAsync('t/held', big, { qos: 1 });
    await watcher.publishAsync('t/held', 'small', { qos: 1 });
    await watcher.publishAsync('t/held', other, { qos: 1 });
    await until(() => held.length === 2 && messages.length === 1);
    // Below holdFrom: delivered to the handler as usual. From it: only a handle crosses.
    expect(messages[0]!.toString()).toBe('small');
    expect(held.map((h) => [h.topic, h.bytes])).toEqual([
      ['t/held', big.length],
      ['t/held', other.length],
    ]);

    const first = new MessageChannel();
    const got = arrival(first.port2);
    held[0]!.sendTo(first.port1);
    const bytes = await got;
    expect(bytes).not.toBe('closed');
    expect(sha(bytes as Uint8Array)).toBe(sha(big));
    // At most once: a second send of the same payload closes the port with nothing on it.
    const again = new MessageChannel();
    const none = arrival(again.port2);
    held[0]!.sendTo(again.port1);
    expect(await none).toBe('closed');

    // Released (superseded): the worker frees it, a later send finds nothing.
    held[1]!.release();
    const late = new MessageChannel();
    const gone = arrival(late.port2);
    held[1]!.sendTo(late.port1);
    expect(await gone).toBe('closed');

    // A payload held by a worker that died is lost: sending it closes the port.
    await watcher.publishAsync('t/held', big, { qos: 1 });
    await until(() => held.length === 3);
    const worker = (link as unknown as { worker: Worker }).worker;
    await worker.terminate();
    const lost = new MessageChannel();
    const lostArrival = arrival(lost.port2);
    held[2]!.sendTo(lost.port1);
    expect(await lostArrival).toBe('closed');
    await link.stop();
  });

  it('delivers a oneAtATime topic one message at a time: the newest waits, the replaced are counted', async () => {
    const cfg = MqttSchema.parse({ url: broker.url, reconnectPeriodMs: 200 });
    const link = new ThreadedMqttLink(cfg, 'gate-one-at-a-time', () => ({}), silentLogger);
    const got: string[] = [];
    let inHand = 0;
    let most = 0;
    let superseded = 0;
    let release: (() => void) | undefined;
    link.subscribe(
      't/one-at-a-time',
      (_t, p) => {
        got.push(p.toString());
        most = Math.max(most, ++inHand);
        return new Promise<void>((r) => (release = r)).then(() => void inHand--);
      },
      { oneAtATime: true, superseded: (_t, n) => (superseded += n) },
    );
    const up = new Promise<boolean>((r) => link.once('connected', r));
    link.start();
    await up;
    await watcher.publishAsync('t/one-at-a-time', 'first', { qos: 1 });
    await until(() => got.length === 1);
    // While the first is in hand, 50 more arrive: only the newest is delivered after it.
    for (let i = 1; i <= 50; i++) await watcher.publishAsync('t/one-at-a-time', `m${i}`, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual(['first']);
    release!();
    await until(() => got.length === 2);
    expect(got[1]).toBe('m50');
    expect(superseded).toBe(49);
    release!();
    // Nothing waits now: the next message is delivered at once.
    await watcher.publishAsync('t/one-at-a-time', 'later', { qos: 1 });
    await until(() => got.length === 3);
    expect(got[2]).toBe('later');
    expect(most).toBe(1);
    release!();
    await link.stop();
  });

  it('fails its start at once when the password file is missing, as on the main thread', () => {
    const cfg = MqttSchema.parse({ url: broker.url, username: 'gate-w', passwordFile: '/nonexistent/pw' });
    const link = new ThreadedMqttLink(cfg, 'gate-w', () => ({}), silentLogger);
    expect(() => link.start()).toThrow(/nonexistent/);
  });
});

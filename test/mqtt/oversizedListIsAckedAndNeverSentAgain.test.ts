/**
 * Through a real Mosquitto, the MQTT link (in its worker thread, as a gate runs it) skips a
 * message over its topic's limit before mqtt.js reads it (src/mqtt/oversizedPublishFilter.ts),
 * and acknowledges it: the persistent session does not hold it, so neither a reconnect nor a
 * restart of the link brings it again; what follows it on the topic arrives whole. Both MQTT
 * 3.1.1 and MQTT 5 (whose publishes carry properties before the payload).
 */
import { createHash, randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttSchema } from '../../src/config/schema.ts';
import { ThreadedMqttLink } from '../../src/mqtt/threadedMqttLink.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const LIMIT = 256 * 1024;

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([4, 5] as const)('MQTT %s: an oversized list message through Mosquitto', (protocolVersion) => {
  let broker: Mosquitto;
  let publisher: mqtt.MqttClient;
  beforeAll(async () => {
    broker = await startMosquitto();
    publisher = await mqtt.connectAsync(broker.url, {
      clientId: `oversized-publisher-${protocolVersion}`,
      protocolVersion,
    });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
  });

  it('is skipped, counted, acknowledged (never re-sent after a restart), and what follows arrives whole', async () => {
    const cfg = MqttSchema.parse({ url: broker.url, reconnectPeriodMs: 200, protocolVersion });
    const topic = 'faregate/v1/deny';
    const got: Buffer[] = [];
    const oversized: number[] = [];
    const probes: Buffer[] = [];
    const open = () => {
      const link = new ThreadedMqttLink(cfg, `gate-oversized-${protocolVersion}`, () => ({}), silentLogger);
      link.subscribe(topic, (_t, p) => got.push(Buffer.from(p)), {
        maxBytes: LIMIT,
        oversized: (_t, bytes) => oversized.push(bytes),
      });
      link.subscribe('t/probe', (_t, p) => probes.push(Buffer.from(p)));
      return link;
    };
    let link = open();
    let up = new Promise<boolean>((r) => link.once('connected', r));
    link.start();
    await up;
    await until(() => {
      void publisher.publishAsync('t/probe', 'probe', { qos: 1 });
      return probes.length > 0;
    });

    const exact = randomBytes(LIMIT);
    const props =
      protocolVersion === 5 ? { properties: { contentType: 'application/jose+json', userProperties: { a: 'b' } } } : {};
    await publisher.publishAsync(topic, Buffer.alloc(LIMIT + 1, 0x7b), { qos: 1, ...props });
    await publisher.publishAsync(topic, exact, { qos: 1, ...props });
    await publisher.publishAsync(topic, Buffer.alloc(3 * LIMIT, 0x20), { qos: 0 });
    await publisher.publishAsync(topic, Buffer.alloc(5 * LIMIT, 0x21), { qos: 1 });
    await publisher.publishAsync(topic, 'after', { qos: 1 });
    await until(() => got.length === 2 && oversized.length === 3);
    expect(sha(got[0]!)).toBe(sha(exact));
    expect(got[1]!.toString()).toBe('after');
    expect(oversized).toEqual([LIMIT + 1, 3 * LIMIT, 5 * LIMIT]);

    // The same session again (clean: false): a message not acknowledged would come again now.
    await link.stop();
    link = open();
    up = new Promise<boolean>((r) => link.once('connected', r));
    link.start();
    expect(await up).toBe(true);
    await publisher.publishAsync(topic, 'after-restart', { qos: 1 });
    await until(() => got.length === 3);
    expect(got[2]!.toString()).toBe('after-restart');
    await new Promise((r) => setTimeout(r, 300));
    expect(oversized).toHaveLength(3);
    expect(got).toHaveLength(3);
    await link.stop();
  });
});

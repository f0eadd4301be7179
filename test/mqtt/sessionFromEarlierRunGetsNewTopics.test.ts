/**
 * The link keeps a persistent session (clean: false). A session left on the broker by an earlier
 * run holds only that run's subscriptions; a run that handles one more topic (settings changed)
 * must still receive it, although the broker says a session is present.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttSchema } from '../../src/config/schema.ts';
import { MqttLink } from '../../src/mqtt/mqttLink.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

function link(url: string): MqttLink {
  const cfg = MqttSchema.parse({ url, clientId: 'gate-session-test', reconnectPeriodMs: 200 });
  return new MqttLink(cfg, 'gate-session-test', () => ({}), silentLogger);
}

function connected(l: MqttLink): Promise<boolean> {
  return new Promise((resolve) => l.once('connected', resolve));
}

describe('a session from an earlier run does not hide topics added since', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('subscribes to every handled topic on its first connect, session or not', async () => {
    const first = link(broker.url);
    first.subscribe('t/old', () => {});
    const firstUp = connected(first);
    first.start();
    expect(await firstUp).toBe(false);
    await first.stop();

    const second = link(broker.url);
    const got: string[] = [];
    second.subscribe('t/old', (_t, p) => got.push(`old:${p.toString()}`));
    second.subscribe('t/new', (_t, p) => got.push(`new:${p.toString()}`));
    const secondUp = connected(second);
    second.start();
    expect(await secondUp).toBe(true); // the broker kept the first run's session

    const pub = await mqtt.connectAsync(broker.url, { clientId: 'session-test-pub' });
    // Published until both arrive: the SUBACK may still be on its way when the first goes out.
    const deadline = Date.now() + 5000;
    while (!(got.includes('new:x') && got.includes('old:x')) && Date.now() < deadline) {
      await pub.publishAsync('t/new', 'x', { qos: 1 });
      await pub.publishAsync('t/old', 'x', { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    await pub.endAsync();
    await second.stop();
    expect(got).toContain('new:x');
    expect(got).toContain('old:x');
  });
});

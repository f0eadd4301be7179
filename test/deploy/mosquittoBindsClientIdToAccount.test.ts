/**
 * The deploy configuration binds the client id to the account (`use_username_as_clientid true`
 * in docs/deploy/mosquitto/mosquitto.conf), on the real Mosquitto with the shipped ACL and the
 * accounts of make-passwords.sh:
 * - gate A's credentials with gate B's client id neither drop gate B's connection nor take over
 *   the messages queued in gate B's session;
 * - gate A's subscriptions to gate B's topics, to `#` and to the backend's shared subscription
 *   deliver nothing it may not read (what the SUBACK says is recorded as the broker answers:
 *   Mosquitto 2.0's acl_file grants them); a gate in the backend's shared group makes the broker
 *   drop that gate's share of the taps (a limitation, README "Threat model"), which a group name
 *   only the backends know avoids;
 * - the validator's own MqttLink (client id = device id) connects and gets its acks.
 * "Nothing arrived" is checked with a sentinel: each forbidden publish is PUBACKed before the
 * sentinel is published, and the broker queues deliveries in the order it handles publishes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MqttSchema } from '../../src/config/schema.ts';
import { MqttLink } from '../../src/mqtt/mqttLink.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { waitFor } from '../support/pty.ts';
import { startDeployBroker, type DeployBroker } from './deployBroker.ts';

const P = 'faregate/v1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let deploy: DeployBroker;
const clients: MqttClient[] = [];

beforeAll(async () => {
  deploy = await startDeployBroker(['gate-a', 'gate-b', 'backend-2']);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
});
afterAll(async () => {
  await deploy?.stop();
});

interface Client {
  c: MqttClient;
  got: { topic: string; body: string }[];
  closes: number;
}

async function connect(user: string, v: 4 | 5, opts: IClientOptions = {}): Promise<Client> {
  const c = mqtt.connect(deploy.broker.url, {
    username: user,
    password: deploy.password(user),
    protocolVersion: v,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  clients.push(c);
  // Listening before the CONNACK: a persistent session delivers its queue right after it.
  const cl: Client = { c, got: [], closes: 0 };
  c.on('message', (topic, payload) => cl.got.push({ topic, body: payload.toString() }));
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
    c.once('close', () => reject(new Error(`${user}: connection closed before CONNACK`)));
  });
  c.on('close', () => cl.closes++);
  return cl;
}

const seen = (cl: Client, topic: string, body: string) => cl.got.some((m) => m.topic === topic && m.body === body);

describe.each([4, 5] as const)('the client id is bound to the account (MQTT %s)', (v) => {
  it('gate A’s credentials connecting as gate-b or faregate-gate-b do not drop gate B’s connection', async () => {
    const gateB = await connect('gate-b', v, { clientId: 'gate-b', clean: false });
    await gateB.c.subscribeAsync(`${P}/gates/gate-b/acks`, { qos: 1 });
    const asB = await connect('gate-a', v, { clientId: 'gate-b', clean: false });
    const asOldB = await connect('gate-a', v, { clientId: 'faregate-gate-b', clean: true });
    await sleep(300);
    expect(gateB.closes).toBe(0);
    expect(gateB.c.connected).toBe(true);
    // B still gets its acks on this connection; the intruder gets none of them.
    const backend = await connect('backend', v);
    const ack = `ack-for-b-${v}`;
    await backend.c.publishAsync(`${P}/gates/gate-b/acks`, ack, { qos: 1 });
    await waitFor(() => seen(gateB, `${P}/gates/gate-b/acks`, ack), 'gate B’s ack on its own connection');
    expect([...asB.got, ...asOldB.got]).toEqual([]);
  });

  it('gate A’s credentials with gate B’s client id do not get what is queued in gate B’s session', async () => {
    const first = await connect('gate-b', v, {
      clientId: 'gate-b',
      clean: false,
      ...(v === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
    });
    await first.c.subscribeAsync(`${P}/gates/gate-b/acks`, { qos: 1 });
    await first.c.endAsync();
    const backend = await connect('backend', v);
    const queued = `queued-for-b-${v}`;
    await backend.c.publishAsync(`${P}/gates/gate-b/acks`, queued, { qos: 1 });
    const intruder = await connect('gate-a', v, {
      clientId: 'gate-b',
      clean: false,
      ...(v === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
    });
    await sleep(300);
    expect(intruder.got).toEqual([]);
    await intruder.c.endAsync();
    const back = await connect('gate-b', v, {
      clientId: 'gate-b',
      clean: false,
      ...(v === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
    });
    await waitFor(() => seen(back, `${P}/gates/gate-b/acks`, queued), 'the queued ack when gate B returns');
  });

  it('a second login with the same account drops the first (one connection per account)', async () => {
    const one = await connect('gate-a', v, { clientId: 'anything-1' });
    await connect('gate-a', v, { clientId: 'anything-2' });
    await waitFor(() => one.closes > 0, 'the first gate-a connection dropped');
  });

  it('gate A’s subscriptions to gate B’s topics and to # deliver nothing it may not read', async () => {
    const gateB = await connect('gate-b', v);
    const operator = await connect('operator', v);
    const backend = await connect('backend', v);
    const gateA = await connect('gate-a', v);
    const wanted = [
      `${P}/gates/gate-b/acks`,
      `${P}/gates/gate-b/cmd`,
      `${P}/gates/gate-b/#`,
      `${P}/gates/+/taps`,
      `${P}/gates/+/status`,
      '#',
      // A shared subscription as the backend makes it: delivery is still checked per message.
      `$share/faregate-backend/${P}/gates/+/taps`,
      `${P}/gates/gate-a/acks`,
    ];
    const granted = await gateA.c.subscribeAsync(wanted, { qos: 1 });
    const codes = Object.fromEntries(granted.map((g) => [g.topic, g.qos]));
    // Granted (1) or refused (0x80 or above): both are fine; what matters is what is delivered.
    for (const t of wanted) expect([1, ...(v === 5 ? [0x80, 0x87] : [0x80])]).toContain(codes[t]);
    expect(codes[`${P}/gates/gate-a/acks`]).toBe(1);
    const marker = `x-${v}`;
    await gateB.c.publishAsync(`${P}/gates/gate-b/taps`, `taps-${marker}`, { qos: 1 });
    await gateB.c.publishAsync(`${P}/gates/gate-b/status`, `status-${marker}`, { qos: 1, retain: true });
    await backend.c.publishAsync(`${P}/gates/gate-b/acks`, `ack-${marker}`, { qos: 1 });
    await operator.c.publishAsync(`${P}/gates/gate-b/cmd`, `cmd-${marker}`, { qos: 1 });
    await backend.c.publishAsync(`${P}/gates/gate-a/acks`, `sentinel-${marker}`, { qos: 1 });
    await waitFor(() => seen(gateA, `${P}/gates/gate-a/acks`, `sentinel-${marker}`), 'gate A’s own ack');
    expect(gateA.got.filter((m) => !m.topic.startsWith(`${P}/gates/gate-a/`))).toEqual([]);
    // Nor retained: a new subscription to # gets no other gate's retained status.
    await gateA.c.subscribeAsync('#', { qos: 1 });
    await backend.c.publishAsync(`${P}/gates/gate-a/acks`, `sentinel2-${marker}`, { qos: 1 });
    await waitFor(() => seen(gateA, `${P}/gates/gate-a/acks`, `sentinel2-${marker}`), 'the second sentinel');
    expect(gateA.got.filter((m) => m.body === `status-${marker}`)).toEqual([]);
  });

  it('a gate in the backend’s shared group gets no taps but takes its share; a private group avoids it', async () => {
    const gateB = await connect('gate-b', v);
    const intruder = await connect('gate-a', v);
    await intruder.c.subscribeAsync(`$share/faregate-backend/${P}/gates/+/taps`, { qos: 1 });
    const run = async (group: string): Promise<number> => {
      const backend = await connect('backend-2', v);
      await backend.c.subscribeAsync(`$share/${group}/${P}/gates/+/taps`, { qos: 1 });
      const marker = `${group}-${v}`;
      for (let i = 0; i < 20; i++) await gateB.c.publishAsync(`${P}/gates/gate-b/taps`, `${marker}-${i}`, { qos: 1 });
      await backend.c.publishAsync(`${P}/gates/gate-b/acks`, `sentinel-${marker}`, { qos: 1 });
      await waitFor(() => seen(gateB, `${P}/gates/gate-b/acks`, `sentinel-${marker}`), 'the sentinel', 5000);
      await sleep(200);
      const got = backend.got.filter((m) => m.body.startsWith(`${marker}-`)).length;
      await backend.c.endAsync();
      return got;
    };
    await gateB.c.subscribeAsync(`${P}/gates/gate-b/acks`, { qos: 1 });
    // Same group as the intruder: the broker hands it every other tap, then drops them (ACL).
    expect(await run('faregate-backend')).toBeLessThan(20);
    // A group name the gate does not know: every tap reaches the backend.
    expect(await run('ops-settlement-7f3a')).toBe(20);
    expect(intruder.got).toEqual([]);
  });

  it('the validator’s MqttLink (client id = device id) connects and gets its acks', async () => {
    const cfg = MqttSchema.parse({
      url: deploy.broker.url,
      username: 'gate-a',
      protocolVersion: v,
      reconnectPeriodMs: 200,
    });
    // The link reads its password from a file, as on a gate.
    const dir = mkdtempSync(join(tmpdir(), 'faregate-link-pw-'));
    writeFileSync(join(dir, 'pw'), deploy.password('gate-a'));
    const l = new MqttLink({ ...cfg, passwordFile: join(dir, 'pw') }, 'gate-a', () => ({}), silentLogger);
    const got: string[] = [];
    l.subscribe(l.topics.acks, (_t, p) => got.push(p.toString()));
    const connected = new Promise<void>((r) => l.once('connected', () => r()));
    l.start();
    try {
      await connected;
      const backend = await connect('backend', v);
      await waitFor(
        async () => {
          await backend.c.publishAsync(`${P}/gates/gate-a/acks`, `link-${v}`, { qos: 1 });
          return got.includes(`link-${v}`);
        },
        'the ack at the validator’s link',
        5000,
        250,
      );
      expect(l.connected).toBe(true);
    } finally {
      await l.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

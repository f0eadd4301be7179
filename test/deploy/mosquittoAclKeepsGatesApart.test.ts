/**
 * The ACL shipped in docs/deploy/mosquitto/acl, on the real Mosquitto with the deploy
 * configuration (the client id bound to the username) and the accounts made by the shipped
 * make-passwords.sh: a gate may publish only its own topics and read only its own acks/commands
 * and the lists; the backend reads every gate's taps. One connection per account (the client id
 * is the account name), so every test closes its clients and a second backend has its own account.
 *
 * "Nothing arrives" is checked with a sentinel: after the forbidden publishes the same client
 * publishes an allowed message; Mosquitto forwards one client's messages in order, so once the
 * sentinel has arrived, anything before it would have too.
 * MQTT 3.1.1: the broker drops a forbidden publish silently (PUBACK as usual).
 * MQTT 5: the PUBACK carries reason 0x87 (not authorized), which mqtt.js reports as an error.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/pty.ts';
import { errorMessage } from '../../src/errors/faregateError.ts';
import { startDeployBroker, type DeployBroker } from './deployBroker.ts';

const P = 'faregate/v1';

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
  seen(topic: string, body?: string): boolean;
}

async function connect(user: string, protocolVersion: 4 | 5, password = deploy.password(user)): Promise<Client> {
  const c = await mqtt.connectAsync(deploy.broker.url, {
    clientId: `${user}-${protocolVersion}-${Math.random().toString(36).slice(2, 8)}`,
    username: user,
    password,
    protocolVersion,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  clients.push(c);
  const got: Client['got'] = [];
  c.on('message', (topic, payload) => got.push({ topic, body: payload.toString() }));
  return { c, got, seen: (t, b) => got.some((m) => m.topic === t && (b === undefined || m.body === b)) };
}

/** Publishes QoS 1; resolves 'ok' or the broker's refusal (its message). */
async function publish(cl: Client, topic: string, body: string, retain = false): Promise<string> {
  try {
    await cl.c.publishAsync(topic, body, { qos: 1, retain });
    return 'ok';
  } catch (e) {
    return errorMessage(e);
  }
}

describe.each([4, 5] as const)('the shipped Mosquitto ACL (MQTT %s)', (v) => {
  it('refuses clients without a valid password', async () => {
    await expect(connect('gate-a', v, 'wrong')).rejects.toThrow(/not authori[sz]ed|bad user name or password/i);
  });

  it('a gate cannot publish another gate’s taps nor the lists; it can publish its own taps, and the backend reads all taps', async () => {
    const backend = await connect('backend', v);
    const operator = await connect('operator', v);
    const gateB = await connect('gate-b', v);
    await backend.c.subscribeAsync(`${P}/gates/+/taps`, { qos: 1 });
    // `faregate backend` on MQTT 5 uses a shared subscription by default: the ACL must allow it
    // too; a second backend process has its own account (one connection per account).
    const shared = v === 5 ? await connect('backend-2', v) : undefined;
    if (shared) await shared.c.subscribeAsync(`$share/faregate-backend/${P}/gates/+/taps`, { qos: 1 });
    await operator.c.subscribeAsync([`${P}/trust`, `${P}/deny`], { qos: 1 });
    await gateB.c.subscribeAsync([`${P}/trust`, `${P}/deny`], { qos: 1 });
    const gateA = await connect('gate-a', v);
    const forged = `forged-${v}`;
    const results = [
      await publish(gateA, `${P}/gates/gate-b/taps`, forged),
      await publish(gateA, `${P}/trust`, forged, true),
      await publish(gateA, `${P}/deny`, forged, true),
      await publish(gateA, `${P}/gates/gate-b/acks`, forged),
      await publish(gateA, `${P}/gates/gate-b/cmd`, forged),
    ];
    if (v === 5) for (const r of results) expect(r).toMatch(/not authori[sz]ed|0x87|135/i);
    else expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']); // silently dropped
    // Allowed, after the forbidden ones: the sentinel.
    expect(await publish(gateA, `${P}/gates/gate-a/taps`, `own-${v}`)).toBe('ok');
    expect(await publish(gateB, `${P}/gates/gate-b/taps`, `own-b-${v}`)).toBe('ok');
    await waitFor(
      () => backend.seen(`${P}/gates/gate-a/taps`, `own-${v}`) && backend.seen(`${P}/gates/gate-b/taps`, `own-b-${v}`),
      'both gates’ own taps at the backend',
    );
    if (shared)
      await waitFor(
        () => shared.seen(`${P}/gates/gate-a/taps`, `own-${v}`),
        'gate A’s taps on the shared subscription',
      );
    expect([...backend.got, ...(shared?.got ?? [])].filter((m) => m.body === forged)).toEqual([]);
    // The lists: the operator may publish them, the gates read them; the forged ones never arrived.
    expect(await publish(operator, `${P}/trust`, `signed-trust-${v}`, true)).toBe('ok');
    await waitFor(
      () => gateB.seen(`${P}/trust`, `signed-trust-${v}`) && operator.seen(`${P}/trust`, `signed-trust-${v}`),
      'the operator’s trust list',
    );
    expect([...operator.got, ...gateB.got].filter((m) => m.body === forged)).toEqual([]);
    // Nothing forged was retained either: a new subscriber gets the operator's list (gate A
    // again: this login takes over the account's session, and the first connection is dropped).
    const late = await connect('gate-a', v);
    await late.c.subscribeAsync([`${P}/trust`, `${P}/deny`], { qos: 1 });
    await waitFor(() => late.seen(`${P}/trust`, `signed-trust-${v}`), 'the retained trust list for gate A');
    expect(late.got.filter((m) => m.body === forged)).toEqual([]);
  });

  it('a gate reads its own acks and the lists but not another gate’s acks', async () => {
    const gateA = await connect('gate-a', v);
    const gateB = await connect('gate-b', v);
    const operator = await connect('operator', v);
    // A tries for its own acks, B's acks, and everyone's (wildcard).
    await gateA.c.subscribeAsync(
      [`${P}/gates/gate-a/acks`, `${P}/gates/gate-b/acks`, `${P}/gates/+/acks`, `${P}/deny`],
      { qos: 1 },
    );
    await gateB.c.subscribeAsync(`${P}/gates/gate-b/acks`, { qos: 1 });
    const backend = await connect('backend', v);
    const ackB = JSON.stringify({ batchId: `b-${v}`, tapIds: ['t1'] });
    const ackA = JSON.stringify({ batchId: `a-${v}`, tapIds: ['t2'] });
    expect(await publish(backend, `${P}/gates/gate-b/acks`, ackB)).toBe('ok');
    expect(await publish(backend, `${P}/gates/gate-a/acks`, ackA)).toBe('ok');
    expect(await publish(operator, `${P}/deny`, `signed-deny-${v}`, true)).toBe('ok');
    await waitFor(
      () => gateA.seen(`${P}/gates/gate-a/acks`, ackA) && gateB.seen(`${P}/gates/gate-b/acks`, ackB),
      'each gate’s own ack',
    );
    await waitFor(() => gateA.seen(`${P}/deny`, `signed-deny-${v}`), 'the deny list at gate A');
    expect(gateA.got.filter((m) => m.body === ackB)).toEqual([]);
    expect(gateB.got.filter((m) => m.body === ackA)).toEqual([]);
  });

  it('the JT/T root list: the operator publishes it, gates and the monitor read it, a gate cannot publish it', async () => {
    const gateB = await connect('gate-b', v);
    const mon = await connect('monitor', v);
    const operator = await connect('operator', v);
    await gateB.c.subscribeAsync(`${P}/jtt-roots`, { qos: 1 });
    await mon.c.subscribeAsync(`${P}/jtt-roots`, { qos: 1 });
    const gateA = await connect('gate-a', v);
    const forged = `forged-roots-${v}`;
    const refused = await publish(gateA, `${P}/jtt-roots`, forged, true);
    expect(refused).toEqual(v === 5 ? expect.stringMatching(/not authori[sz]ed|0x87|135/i) : 'ok');
    expect(await publish(operator, `${P}/jtt-roots`, `signed-roots-${v}`, true)).toBe('ok');
    await waitFor(
      () => gateB.seen(`${P}/jtt-roots`, `signed-roots-${v}`) && mon.seen(`${P}/jtt-roots`, `signed-roots-${v}`),
      'the operator’s JT/T root list at gate B and the monitor',
    );
    expect([...gateB.got, ...mon.got].filter((m) => m.body === forged)).toEqual([]);
  });

  it('the read-only monitor account sees statuses but cannot publish anything', async () => {
    const mon = await connect('monitor', v);
    await mon.c.subscribeAsync(`${P}/gates/+/status`, { qos: 1 });
    const gateA = await connect('gate-a', v);
    expect(await publish(mon, `${P}/gates/gate-a/status`, '{"online":false}', true)).toEqual(
      v === 5 ? expect.stringMatching(/not authori[sz]ed|0x87|135/i) : 'ok',
    );
    expect(await publish(gateA, `${P}/gates/gate-a/status`, `{"online":true,"v":${v}}`, true)).toBe('ok');
    await waitFor(
      () => mon.seen(`${P}/gates/gate-a/status`, `{"online":true,"v":${v}}`),
      'gate A status at the monitor',
    );
    expect(mon.got.filter((m) => m.body === '{"online":false}')).toEqual([]);
  });
});

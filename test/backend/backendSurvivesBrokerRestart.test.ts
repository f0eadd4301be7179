/**
 * The broker restarts under a connected backend: with its persistence (the session is resumed)
 * and without (a new session: the backend must subscribe again). Batches sent after the restart
 * are acked. Batches published while the backend is away are queued in its session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeGate, makeBatch, startBackend, tempDir } from './fakeGate.ts';

function nextConnect(
  b: Awaited<ReturnType<typeof startBackend>>,
): Promise<{ sessionPresent: boolean; subscribed: boolean }> {
  return new Promise((resolve) => b.backend.once('connect', resolve));
}
function gateReconnected(gate: FakeGate): Promise<void> {
  return new Promise((resolve) => gate.client.once('connect', () => resolve()));
}

describe.each([5, 4] as const)('backend survives a broker restart (MQTT %s)', (protocolVersion) => {
  let broker: Mosquitto;
  let gate: FakeGate;
  let b: Awaited<ReturnType<typeof startBackend>>;

  beforeAll(async () => {
    broker = await startMosquitto();
    b = await startBackend(broker.url, { protocolVersion });
    gate = await FakeGate.connect(broker.url, protocolVersion);
  });
  afterAll(async () => {
    await gate?.close();
    await b?.stop();
    await broker?.stop();
  });

  it('restart with persistence: the session is resumed and batches after the restart are acked', async () => {
    const before = makeBatch('gate-r', 2);
    await gate.publish('gate-r', before);
    await gate.waitForAck(before.batchId);

    const backendBack = nextConnect(b);
    const gateBack = gateReconnected(gate);
    await broker.restart({ keepPersistence: true });
    // Plain subscriptions live in the resumed session; a shared one is renewed (mosquitto 2.0.11
    // restores sessions without their shared subscriptions).
    expect(await backendBack).toEqual({ sessionPresent: true, subscribed: protocolVersion === 5 });
    await gateBack;

    const after = makeBatch('gate-r', 3);
    await gate.publish('gate-r', after);
    expect((await gate.waitForAck(after.batchId, 8000)).ack.tapIds).toEqual(after.taps.map((t) => t.id));
    expect(b.backend.counters.connects).toBe(2);
  });

  it('restart without persistence: a new session, the backend subscribes again and batches after the restart are acked', async () => {
    const backendBack = nextConnect(b);
    const gateBack = gateReconnected(gate);
    await broker.restart({ keepPersistence: false });
    expect(await backendBack).toEqual({ sessionPresent: false, subscribed: true });
    await gateBack;

    const after = makeBatch('gate-r', 2);
    await gate.publish('gate-r', after);
    expect((await gate.waitForAck(after.batchId, 8000)).ack.tapIds).toEqual(after.taps.map((t) => t.id));
  });

  it('batches published while the backend is stopped are settled when it returns (persistent session)', async () => {
    const clientId = `backend-away-${protocolVersion}`;
    const tmp = tempDir();
    const dbFile = `${tmp.dir}/away.db`;
    const first = await startBackend(broker.url, { protocolVersion, clientId, dbFile, sharedGroup: false });
    await first.stop({ endSession: false });
    const away = makeBatch('gate-away', 4);
    await gate.publish('gate-away', away);
    const second = await startBackend(broker.url, { protocolVersion, clientId, dbFile, sharedGroup: false });
    try {
      await gate.waitForAck(away.batchId, 8000);
      expect(second.store.tapIds().filter((id) => away.taps.some((t) => t.id === id))).toHaveLength(4);
    } finally {
      await second.stop();
      tmp.cleanup();
    }
  });
});

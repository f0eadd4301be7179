/**
 * MQTT 5 shared subscription: two backend processes (distinct client ids, same group, separate
 * stores) split the batches; each batch is stored by exactly one of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeGate, makeBatch, startBackend } from './fakeGate.ts';

describe('two backends share the load', () => {
  let broker: Mosquitto;
  let gate: FakeGate;
  let one: Awaited<ReturnType<typeof startBackend>>;
  let two: Awaited<ReturnType<typeof startBackend>>;

  beforeAll(async () => {
    broker = await startMosquitto();
    one = await startBackend(broker.url, { protocolVersion: 5, sharedGroup: 'settle-test' });
    two = await startBackend(broker.url, { protocolVersion: 5, sharedGroup: 'settle-test' });
    gate = await FakeGate.connect(broker.url);
  });
  afterAll(async () => {
    await gate?.close();
    await one?.stop();
    await two?.stop();
    await broker?.stop();
  });

  it('each batch is stored exactly once across both stores, and both received some', async () => {
    expect(one.backend.subscription).toBe('$share/settle-test/faregate/v1/gates/+/taps');
    const devices = ['gate-a', 'gate-b', 'gate-c', 'gate-d'];
    const batches = Array.from({ length: 40 }, (_, i) => makeBatch(devices[i % devices.length]!, 3));
    for (const batch of batches) await gate.publish(batch.deviceId, batch);
    for (const batch of batches) await gate.waitForAck(batch.batchId);

    const idsOne = one.store.tapIds();
    const idsTwo = two.store.tapIds();
    const all = batches.flatMap((x) => x.taps.map((t) => t.id)).sort();
    expect([...idsOne, ...idsTwo].sort()).toEqual(all); // the union has every tap exactly once
    expect(idsOne.filter((id) => new Set(idsTwo).has(id))).toEqual([]);
    expect(one.backend.counters.batches).toBeGreaterThan(0);
    expect(two.backend.counters.batches).toBeGreaterThan(0);
    expect(one.backend.counters.batches + two.backend.counters.batches).toBe(batches.length);
    expect(gate.acks).toHaveLength(batches.length);
  });
});

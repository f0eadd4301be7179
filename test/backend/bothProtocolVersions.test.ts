/**
 * The backend on MQTT 3.1.1 (plain subscription) and on MQTT 5 (shared subscription, or plain
 * with sharedGroup: false), with gates on either version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeGate, makeBatch, startBackend } from './fakeGate.ts';

describe('both protocol versions', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const cases = [
    { backend: 4, gate: 4, sharedGroup: undefined, filter: 'faregate/v1/gates/+/taps' },
    { backend: 4, gate: 5, sharedGroup: 'ignored-on-311', filter: 'faregate/v1/gates/+/taps' },
    { backend: 5, gate: 5, sharedGroup: undefined, filter: '$share/faregate-backend/faregate/v1/gates/+/taps' },
    { backend: 5, gate: 4, sharedGroup: false, filter: 'faregate/v1/gates/+/taps' },
  ] as const;

  it.each(cases)(
    'backend MQTT $backend, gate MQTT $gate, subscription $filter',
    async ({ backend, gate: gateVersion, sharedGroup, filter }) => {
      const b = await startBackend(broker.url, {
        protocolVersion: backend,
        ...(sharedGroup !== undefined ? { sharedGroup } : {}),
      });
      const gate = await FakeGate.connect(broker.url, gateVersion);
      try {
        expect(b.backend.subscription).toBe(filter);
        const batch = makeBatch(`gate-v${backend}${gateVersion}`, 3);
        await gate.publish(batch.deviceId, batch);
        const ack = await gate.waitForAck(batch.batchId);
        expect(ack.ack.tapIds).toEqual(batch.taps.map((t) => t.id));
        expect(ack.topic).toBe(`faregate/v1/gates/${batch.deviceId}/acks`);
        expect(b.store.count()).toBe(3);
      } finally {
        await gate.close();
        await b.stop();
      }
    },
  );
});

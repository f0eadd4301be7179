/**
 * A ride code may carry any uint in `seq` (and `profile`), past 2^53: the validator accepts it
 * and records the tap, so the contract must carry it too. Otherwise the batch holding that tap
 * is refused as malformed on every re-send, and the other riders' taps in it are never settled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapBatchSchema } from '../../src/contract/settlement.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeGate, makeBatch, makeTap, startBackend } from './fakeGate.ts';

describe('a tap with a counter past 2^53 settles with its batch', () => {
  let broker: Mosquitto;
  let gate: FakeGate;
  let b: Awaited<ReturnType<typeof startBackend>>;

  beforeAll(async () => {
    broker = await startMosquitto();
    b = await startBackend(broker.url);
    gate = await FakeGate.connect(broker.url);
  });
  afterAll(async () => {
    await gate?.close();
    await b?.stop();
    await broker?.stop();
  });

  it('the contract takes whole numbers past 2^53 and still refuses fractions and negatives', () => {
    const batch = makeBatch('gate-h', [makeTap('gate-h', { seq: 2 ** 60, profile: 2 ** 53 + 2 })]);
    expect(TapBatchSchema.safeParse(batch).success).toBe(true);
    expect(TapBatchSchema.safeParse(makeBatch('gate-h', [makeTap('gate-h', { seq: 1.5 })])).success).toBe(false);
    expect(TapBatchSchema.safeParse(makeBatch('gate-h', [makeTap('gate-h', { seq: -1 })])).success).toBe(false);
  });

  it('the backend stores and acks every tap of a batch that holds such a tap', async () => {
    const odd = makeTap('gate-h', { seq: 2 ** 60 });
    const batch = makeBatch('gate-h', [makeTap('gate-h'), odd, makeTap('gate-h')]);
    await gate.publish('gate-h', JSON.stringify(batch));
    const ack = await gate.waitForAck(batch.batchId);
    expect(ack.ack.tapIds).toEqual(batch.taps.map((t) => t.id));
    for (const t of batch.taps) expect(b.store.has(t.id)).toBe(true);
    expect(b.backend.counters).toMatchObject({ tapsInserted: 3, malformed: 0 });
  });
});

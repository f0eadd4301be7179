/**
 * A ride code may carry any uint in `seq` (and `profile`), past 2^53: the validator accepts it
 * and records the tap, so the contract must carry it too. Otherwise the batch holding that tap
 * is refused as malformed on every re-send, and the other riders' taps in it are never settled.
 */
import { describe, expect, it } from 'vitest';
import { TapBatchSchema } from '../../src/contract/settlement.ts';
import { backendWithGate, makeBatch, makeTap } from './fakeGate.ts';

describe('a tap with a counter past 2^53 settles with its batch', () => {
  const env = backendWithGate();

  it('the contract takes whole numbers past 2^53 and still refuses fractions and negatives', () => {
    const batch = makeBatch('gate-h', [makeTap('gate-h', { seq: 2 ** 60, profile: 2 ** 53 + 2 })]);
    expect(TapBatchSchema.safeParse(batch).success).toBe(true);
    expect(TapBatchSchema.safeParse(makeBatch('gate-h', [makeTap('gate-h', { seq: 1.5 })])).success).toBe(false);
    expect(TapBatchSchema.safeParse(makeBatch('gate-h', [makeTap('gate-h', { seq: -1 })])).success).toBe(false);
  });

  it('the backend stores and acks every tap of a batch that holds such a tap', async () => {
    const odd = makeTap('gate-h', { seq: 2 ** 60 });
    const batch = makeBatch('gate-h', [makeTap('gate-h'), odd, makeTap('gate-h')]);
    await env.gate.publish('gate-h', JSON.stringify(batch));
    const ack = await env.gate.waitForAck(batch.batchId);
    expect(ack.ack.tapIds).toEqual(batch.taps.map((t) => t.id));
    for (const t of batch.taps) expect(env.b.store.has(t.id)).toBe(true);
    expect(env.b.backend.counters).toMatchObject({ tapsInserted: 3, malformed: 0 });
  });
});

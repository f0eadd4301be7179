/**
 * Delivery is at least once: the same batch three times, and overlapping batches (unacked taps
 * re-sent in another batch) settle each tap id once; every batch is acked with all its ids.
 */
import { describe, expect, it } from 'vitest';
import { backendWithGate, makeBatch, makeTap, until } from './fakeGate.ts';

describe('duplicated and replayed batches settle once', () => {
  const env = backendWithGate();

  it('the same batch sent 3 times is stored once and acked 3 times', async () => {
    const batch = makeBatch('gate-1', 5);
    for (let i = 0; i < 3; i++) await env.gate.publish('gate-1', batch);
    await until(() => env.gate.acksOf(batch.batchId).length === 3, 5000, '3 acks');
    for (const a of env.gate.acksOf(batch.batchId)) expect(a.ack.tapIds).toEqual(batch.taps.map((t) => t.id));
    expect(env.b.store.count()).toBe(5);
    expect(env.b.backend.counters).toMatchObject({ batches: 3, tapsInserted: 5, duplicates: 10 });
    expect(env.b.store.devices().find((d) => d.deviceId === 'gate-1')).toMatchObject({
      batches: 3,
      taps: 5,
      duplicates: 10,
      conflicts: 0,
    });
  });

  it('overlapping batches (re-sent taps in new batches) store each tap id once and ack every id', async () => {
    const taps = Array.from({ length: 9 }, () => makeTap('gate-2'));
    const batches = [
      makeBatch('gate-2', taps.slice(0, 4)),
      makeBatch('gate-2', taps.slice(2, 7)), // 2 already held
      makeBatch('gate-2', taps.slice(0, 9)), // all re-sent together with 2 new
      makeBatch('gate-2', [taps[8]!, taps[8]!, taps[3]!]), // a repeat inside one batch
    ];
    const before = env.b.store.count();
    for (const batch of batches) await env.gate.publish('gate-2', batch);
    for (const batch of batches) {
      const ack = await env.gate.waitForAck(batch.batchId);
      expect(new Set(ack.ack.tapIds)).toEqual(new Set(batch.taps.map((t) => t.id)));
      expect(ack.ack.tapIds.length).toBe(new Set(batch.taps.map((t) => t.id)).size);
    }
    expect(env.b.store.count() - before).toBe(9);
    const ids = env.b.store.tapIds();
    for (const t of taps) expect(ids.filter((i) => i === t.id)).toHaveLength(1);
    expect(env.b.store.devices().find((d) => d.deviceId === 'gate-2')).toMatchObject({
      batches: 4,
      taps: 9,
      duplicates: 0 + 2 + 7 + 3,
    });
  });

  it('a tap id re-sent with different content keeps the first version, is counted as a conflict, and is still acked', async () => {
    const t = makeTap('gate-3', { fare: 200 });
    const first = makeBatch('gate-3', [t]);
    const second = makeBatch('gate-3', [{ ...t, fare: 999 }]);
    await env.gate.publish('gate-3', first);
    await env.gate.waitForAck(first.batchId);
    await env.gate.publish('gate-3', second);
    expect((await env.gate.waitForAck(second.batchId)).ack.tapIds).toEqual([t.id]);
    expect(env.b.store.report().rows.find((r) => r.deviceId === 'gate-3')).toMatchObject({ taps: 1, fareTotal: 200 });
    expect(env.b.backend.counters.conflicts).toBe(1);
  });
});

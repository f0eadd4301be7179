/**
 * A valid batch is stored in the backend's SQLite file before its ack is published, and the ack
 * names every tap id of the batch.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AckSchema } from '../../src/contract/settlement.ts';
import { backendWithGate, makeBatch, makeTap, PREFIX } from './fakeGate.ts';

describe('backend acks a batch only after storing it', () => {
  const env = backendWithGate();

  it('the taps are in the SQLite file when the ack arrives, and the ack lists all tap ids', async () => {
    const batch = makeBatch('gate-7', [
      makeTap('gate-7'),
      makeTap('gate-7', { fare: undefined, mode: 'metro', direction: 'in', place: 'station-3' }),
      makeTap('gate-7', { flags: ['stale_lists'] }),
    ]);
    // A separate connection to the file, read the instant the ack is delivered.
    const reader = new Database(env.b.dbFile, { readonly: true });
    const seenAtAck: string[][] = [];
    env.gate.onAck = (a) => {
      if (a.ack.batchId !== batch.batchId) return;
      seenAtAck.push(
        (
          reader
            .prepare('SELECT id FROM settled_taps WHERE id IN (?, ?, ?)')
            .pluck()
            .all(...batch.taps.map((t) => t.id)) as string[]
        ).sort(),
      );
    };
    let storedBeforeBatchEvent = -1;
    env.b.backend.once('batch', (e) => {
      if (e.batchId === batch.batchId) storedBeforeBatchEvent = batch.taps.filter((t) => env.b.store.has(t.id)).length;
    });

    await env.gate.publish('gate-7', batch);
    const ack = await env.gate.waitForAck(batch.batchId);
    reader.close();

    expect(ack.topic).toBe(`${PREFIX}/gates/gate-7/acks`);
    expect(AckSchema.safeParse(JSON.parse(ack.raw)).success).toBe(true);
    expect(Object.keys(JSON.parse(ack.raw) as object).sort()).toEqual(['batchId', 'tapIds']);
    expect(ack.ack.tapIds).toEqual(batch.taps.map((t) => t.id));
    expect(seenAtAck).toEqual([batch.taps.map((t) => t.id).sort()]);
    expect(storedBeforeBatchEvent).toBe(3);
    expect(env.b.backend.counters).toMatchObject({ batches: 1, tapsInserted: 3, duplicates: 0, malformed: 0 });
    expect(env.b.store.devices()).toEqual([
      expect.objectContaining({ deviceId: 'gate-7', batches: 1, taps: 3, duplicates: 0, malformed: 0 }),
    ]);
  });

  it('stores every field of the tap (fare absent stays absent)', async () => {
    const t = makeTap('gate-8', { fare: undefined, mode: 'metro', direction: 'out', place: 'station-9', profile: 2 });
    const batch = makeBatch('gate-8', [t]);
    await env.gate.publish('gate-8', batch);
    await env.gate.waitForAck(batch.batchId);
    const db = new Database(env.b.dbFile, { readonly: true });
    const row = db.prepare('SELECT * FROM settled_taps WHERE id = ?').get(t.id) as Record<string, unknown>;
    db.close();
    expect(row).toMatchObject({
      id: t.id,
      device_id: 'gate-8',
      at: t.at,
      mode: 'metro',
      place: 'station-9',
      direction: 'out',
      sub: t.sub,
      cti: t.cti,
      code_id: t.codeId,
      ts: t.ts,
      seq: t.seq,
      profile: 2,
      fare: null,
      currency: 'CNY',
      batch_id: batch.batchId,
    });
  });
});

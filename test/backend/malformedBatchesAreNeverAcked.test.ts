/**
 * Malformed batches (bad JSON, wrong schema, device id not the topic's, empty taps, huge strings,
 * oversized payloads, an invalid device id in the topic) are counted and logged without their
 * contents, never acked, and the backend keeps settling valid batches afterwards. A bad tap with an
 * id beside valid ones does not make the batch malformed: the valid ones settle.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { FakeGate, makeBatch, makeTap, sleep, startBackend, until } from './fakeGate.ts';

const SECRET = 'deadbeefcafe0123456789feedface00'; // hex, appears only inside malformed payloads

describe('malformed batches are never acked', () => {
  let broker: Mosquitto;
  let gate: FakeGate;
  let b: Awaited<ReturnType<typeof startBackend>>;
  const log = captureLogger();

  beforeAll(async () => {
    broker = await startMosquitto();
    b = await startBackend(broker.url, { logger: log, maxPayloadBytes: 1024 * 1024 });
    gate = await FakeGate.connect(broker.url);
  });
  afterAll(async () => {
    await gate?.close();
    await b?.stop();
    await broker?.stop();
  });

  it('counts each kind, acks none, logs no payload contents, and still settles a valid batch afterwards', async () => {
    const valid = () => makeBatch('gate-m', [makeTap('gate-m', { sub: SECRET })]);
    const cases: { name: string; device: string; payload: string | Buffer; batchId: string }[] = [];
    const add = (name: string, device: string, payload: unknown, batchId: string = randomUUID()) =>
      cases.push({
        name,
        device,
        payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
        batchId,
      });

    add('bad JSON', 'gate-m', `{"batchId": "x", "taps": [${SECRET}`);
    add('binary', 'gate-m', Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    add('JSON null', 'gate-m', 'null');
    add('JSON array', 'gate-m', '[]');
    {
      const v = valid();
      add('wrong schema: taps missing', 'gate-m', { batchId: v.batchId, deviceId: 'gate-m' }, v.batchId);
    }
    {
      const v = valid();
      add('wrong schema: bad mode', 'gate-m', { ...v, taps: [{ ...v.taps[0], mode: 'ferry' }] }, v.batchId);
    }
    {
      const v = valid();
      add('wrong schema: fare as string', 'gate-m', { ...v, taps: [{ ...v.taps[0], fare: '200' }] }, v.batchId);
    }
    {
      const v = makeBatch('gate-other', [makeTap('gate-other', { sub: SECRET })]);
      add('batch deviceId is not the topic device', 'gate-m', v, v.batchId);
    }
    {
      const v = valid();
      add(
        'a tap deviceId is not the topic device',
        'gate-m',
        { ...v, taps: [...v.taps, makeTap('gate-other', { sub: SECRET })] },
        v.batchId,
      );
    }
    {
      const v = valid();
      add('empty taps', 'gate-m', { ...v, taps: [] }, v.batchId);
    }
    {
      const v = valid();
      add(
        'huge string in a field',
        'gate-m',
        { ...v, taps: [{ ...v.taps[0], place: SECRET.repeat(20_000) }] },
        v.batchId,
      );
    }
    {
      const v = valid();
      add('oversized payload', 'gate-m', { ...v, padding: SECRET.repeat(40_000) }, v.batchId);
    }
    {
      const v = makeBatch('bad.id', [makeTap('gate-m', { sub: SECRET })]);
      add('invalid device id in topic', 'bad.id', v, v.batchId);
    }

    const reasons: string[] = [];
    b.backend.on('malformed', (e) => reasons.push(e.reason));
    for (const c of cases) await gate.publish(c.device, c.payload);
    await until(() => b.backend.counters.malformed === cases.length, 5000, `${cases.length} malformed batches`);

    // Afterwards the backend still works: a valid batch from the same gate is settled and acked.
    const after = makeBatch('gate-m', 2);
    await gate.publish('gate-m', after);
    expect((await gate.waitForAck(after.batchId)).ack.tapIds).toEqual(after.taps.map((t) => t.id));
    await sleep(200); // any stray ack would have arrived before the last one (same publisher, in order)

    expect(gate.acks.map((a) => a.ack.batchId)).toEqual([after.batchId]);
    expect(b.backend.counters).toMatchObject({ batches: 1, tapsInserted: 2, malformed: cases.length, storeErrors: 0 });
    expect(b.store.count()).toBe(2);
    const devices = Object.fromEntries(b.store.devices().map((d) => [d.deviceId, d]));
    expect(devices['gate-m']).toMatchObject({ malformed: cases.length - 1, batches: 1, taps: 2 });
    expect(devices['?']).toMatchObject({ malformed: 1, batches: 0 });

    expect(reasons).toEqual([
      'not JSON',
      'not JSON',
      'not a tap batch',
      'not a tap batch',
      'not a tap batch',
      'not a tap batch',
      'not a tap batch',
      'batch deviceId is not the topic device',
      'tap deviceId is not the topic device',
      'not a tap batch',
      'not a tap batch',
      'payload too large',
      'topic is not P/gates/D/taps with a valid device id',
    ]);
    const lines = log.lines.map((l) => JSON.stringify(l));
    const warnings = lines.filter((l) => l.includes('malformed batch'));
    expect(warnings).toHaveLength(cases.length);
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line.length).toBeLessThan(2000);
    }
  });

  it('a bad tap beside valid ones does not hold them back: the valid ones are stored and acked', async () => {
    const good = makeTap('gate-n');
    const bad = { ...makeTap('gate-n', { sub: SECRET }), mode: 'ferry' };
    const batch = { ...makeBatch('gate-n', [good]), taps: [good, bad] };
    const before = b.backend.counters;
    await gate.publish('gate-n', JSON.stringify(batch));
    // A v1 ack cannot reject: the bad tap is left out (its gate re-sends it alone, and it is not acked).
    expect((await gate.waitForAck(batch.batchId)).ack.tapIds).toEqual([good.id]);
    expect(b.backend.counters).toMatchObject({
      batches: before.batches + 1,
      tapsInserted: before.tapsInserted + 1,
      malformed: before.malformed,
      malformedTaps: before.malformedTaps + 1,
    });
    expect(b.store.has(good.id)).toBe(true);
    expect(b.store.has(bad.id)).toBe(false);
    const warn = log.lines.find((l) => l.msg === 'malformed taps not acked');
    expect(warn).toMatchObject({ n: 1, taps: [{ id: bad.id, issues: ['mode:invalid_value'] }] });
    expect(JSON.stringify(warn)).not.toContain(SECRET);
  });
});

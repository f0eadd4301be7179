/**
 * The reference backend with an ack key (settlement-mqtt-v1 Amendment 1), over a real Mosquitto:
 * every ack is a flattened JWS (EdDSA, kid, typ faregate-ack+json, no crit) that verifies under
 * the pinned public key set with jose; its payload names the batch, the device, the signing time
 * and the ids; a tap id it already holds with different content is rejected
 * (`duplicate_id_conflict`) while the rest of the batch settles, unless the copy held is an earlier
 * one of the same batch (then it is stored and settled); a tap that is not a valid tap is rejected
 * (`malformed_tap`) and the rest settles. Without a key: v1 acks.
 */
import { describe, expect, it } from 'vitest';
import { ACK_TYP, SignedAckPayloadSchema } from '../../src/contract/settlement.ts';
import { loadKeySetFile, verifyFlattenedJws } from '../../src/lists/jws.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { devAckKey } from '../support/independentBackend.ts';
import { DEV_BACKEND_KEYS } from '../support/serviceProcess.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { FakeGate, makeBatch, makeTap, startBackend } from './fakeGate.ts';

describe('the backend with --ack-key', () => {
  it('signs every ack and rejects an id it holds with different content; the rest settles', async () => {
    const broker = await startMosquitto();
    const k = devAckKey();
    const b = await startBackend(broker.url, { ackSigner: { alg: ALG_EDDSA, kid: k.kid, privateKey: k.key } });
    const gate = await FakeGate.connect(broker.url);
    try {
      const keys = loadKeySetFile(DEV_BACKEND_KEYS);
      const first = makeBatch('gate-s1', 3);
      await gate.publish('gate-s1', first);
      const a1 = await gate.waitForAck(first.batchId);
      const v = await verifyFlattenedJws(a1.raw, keys, { typ: ACK_TYP });
      expect(v.ok).toBe(true);
      if (!v.ok) return;
      expect(v.header).toEqual({ alg: 'EdDSA', kid: k.kid, typ: ACK_TYP });
      const p = SignedAckPayloadSchema.parse(JSON.parse(v.payload.toString('utf8')));
      expect(p).toMatchObject({ batchId: first.batchId, deviceId: 'gate-s1', rejected: [] });
      expect(p.tapIds).toEqual(first.taps.map((t) => t.id));
      expect(Math.abs((p.at ?? 0) - Date.now())).toBeLessThan(10_000); // the backend sends `at`

      // The same id with another fare (a conflict) next to a new tap and a plain re-send.
      const changed = { ...first.taps[0]!, fare: first.taps[0]!.fare! + 1 };
      const fresh = makeTap('gate-s1');
      const second = makeBatch('gate-s1', [changed, fresh, first.taps[1]!]);
      await gate.publish('gate-s1', second);
      const a2 = await gate.waitForAck(second.batchId);
      expect((await verifyFlattenedJws(a2.raw, keys, { typ: ACK_TYP })).ok).toBe(true);
      expect(a2.signed?.rejected).toEqual([{ id: changed.id, reason: 'duplicate_id_conflict' }]);
      expect(a2.signed?.tapIds).toEqual([fresh.id, first.taps[1]!.id]);
      expect(b.backend.counters.conflicts).toBe(1);
      // The first content is kept.
      expect(b.store.count()).toBe(4);

      // One new id twice in one batch, with other content: the first copy is stored, so the id
      // is settled (named in tapIds), not also rejected (an ack naming it in both is refused).
      const twin = makeTap('gate-s1');
      const third = makeBatch('gate-s1', [twin, { ...twin, fare: twin.fare! + 1 }]);
      await gate.publish('gate-s1', third);
      const a3 = await gate.waitForAck(third.batchId);
      expect(a3.signed).toMatchObject({ tapIds: [twin.id], rejected: [] });
      expect(b.backend.counters.conflicts).toBe(2);
      expect(b.store.count()).toBe(5);

      // A tap that is not a valid tap (an upper-case sub) beside a good one: rejected, never
      // stored (the gate keeps it, alarmed); the good one settles.
      const good = makeTap('gate-s1');
      const bad = { ...makeTap('gate-s1'), sub: 'ABCDEF' };
      const fourth = { ...makeBatch('gate-s1', [good]), taps: [good, bad] };
      await gate.publish('gate-s1', JSON.stringify(fourth));
      const a4 = await gate.waitForAck(fourth.batchId);
      expect(a4.signed).toMatchObject({ tapIds: [good.id], rejected: [{ id: bad.id, reason: 'malformed_tap' }] });
      expect(b.store.count()).toBe(6);
      expect(b.backend.counters).toMatchObject({ malformed: 0, malformedTaps: 1 });
    } finally {
      await gate.close();
      await b.stop();
      await broker.stop();
    }
  });
});

/**
 * Signed acks (settlement-mqtt-v1 Amendment 1), the rules, in process: an in-memory broker, the
 * in-memory backend signing with the TEST-ONLY dev key, a clock the test moves. Every kind of
 * forged ack (unsigned, wrong key, wrong typ, crit, other device, unknown batch, a batch the
 * validator has forgotten, ids not in the batch, an id both settled and rejected, a replayed
 * genuine ack) leaves the taps unsettled and counts a refusal; the taps are re-sent and a genuine
 * ack settles them. A genuine ack that arrives late (after the batch timed out) still settles; one
 * that names an id twice (within tapIds, or within rejected) counts it once. A batch acked in
 * parts (or first by an empty ack) is taken until every tap was named; a payload without the
 * informational `at`, or without an empty `rejected`, is taken.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { TapBatch } from '../../src/contract/settlement.ts';
import { REMEMBER_TIMEOUTS } from '../../src/settlement/uploader.ts';
import { devAckKey, signAck, type AckSigningKey } from '../support/independentBackend.ts';
import { waitFor } from '../support/pty.ts';
import { inProcess, type InProcess } from '../service/inProcess.ts';

const ACK_TIMEOUT = 60_000;
let r: InProcess | undefined;
afterEach(async () => {
  await r?.svc.stop();
  r = undefined;
});

/** A validator whose backend receives batches but does not ack them (the test sends the acks). */
async function heldTaps(n: number, batchSize = 100) {
  r = inProcess({
    mqtt: true,
    settings: { settlement: { batchSize, ackTimeoutMs: ACK_TIMEOUT, maxBackoffMs: 4 * ACK_TIMEOUT } },
  });
  const { svc, backend } = r;
  backend!.faults.acking = false;
  await svc.start();
  r.ride(n);
  await waitFor(() => backend!.batches >= 1 && backend!.settled.size === n, `${n} taps at the backend`);
  const batches = r.broker.messages(r.link!.topics.taps) as TapBatch[];
  return {
    r,
    svc,
    backend: backend!,
    batch: batches[0]!,
    batches,
    inject: (p: string) => r!.broker.inject(r!.link!.topics.acks, p),
  };
}

const payloadOf = (b: TapBatch, over: Record<string, unknown> = {}) => ({
  batchId: b.batchId,
  deviceId: b.deviceId,
  at: Date.now(),
  tapIds: b.taps.map((t) => t.id),
  rejected: [],
  ...over,
});

function otherKey(kid: string): AckSigningKey {
  return { kid, alg: 'EdDSA', key: generateKeyPairSync('ed25519').privateKey };
}

describe('signed acks', () => {
  it('refuse every forged ack: unsigned, key, typ, crit, device, batch, ids outside, contradictory', async () => {
    const { svc, batch, batches, inject } = await heldTaps(5, 3);
    const stats = svc.uploader!.stats;
    expect(stats.ackMode).toBe('signed');
    expect(batches.map((b) => b.taps.length)).toEqual([3, 2]);
    const dev = devAckKey();
    // A tap of this validator, but of the other batch.
    const other = batches[1]!.taps[0]!.id;
    const forged = [
      JSON.stringify({ batchId: batch.batchId, tapIds: batch.taps.map((t) => t.id) }), // v1 ack
      signAck(payloadOf(batch), otherKey(dev.kid)), // a key that is not pinned, under the pinned kid
      signAck(payloadOf(batch), otherKey('some-other-kid')),
      signAck(payloadOf(batch), dev, { typ: 'faregate-cmd+json' }),
      signAck(payloadOf(batch), dev, { crit: ['exp'], exp: 1 }),
      signAck(payloadOf(batch, { deviceId: 'test-bus-2' }), dev),
      signAck(payloadOf(batch, { batchId: '01900000-0000-7000-8000-000000000000' }), dev),
      signAck(payloadOf(batch, { tapIds: [...batch.taps.map((t) => t.id), other] }), dev),
      signAck(payloadOf(batch, { tapIds: [], rejected: [{ id: other, reason: 'x' }] }), dev),
      // Settled and rejected at once: contradictory (Amendment 1 names each id once or not at all).
      signAck(payloadOf(batch, { rejected: [{ id: batch.taps[0]!.id, reason: 'duplicate_id_conflict' }] }), dev),
      signAck({ batchId: batch.batchId, tapIds: batch.taps.map((t) => t.id) }, dev), // v1 body, signed
    ];
    for (const p of forged) inject(p);
    await waitFor(() => stats.ackRefused === forged.length, `${forged.length} refusals`);
    expect(svc.store.counts().unsettled).toBe(5);
    expect(stats.tapsSettled).toBe(0);
    expect(svc.store.allTaps().filter((t) => t.settled)).toEqual([]);
    expect(stats.acks).toBe(0);
    const refused = r!.log.lines.filter((l) => l.msg === 'ack refused: nothing settled');
    // (Verification is asynchronous: the order of the refusals is not the order of the acks.)
    expect(refused.map((l) => l.reason).sort()).toEqual(
      [
        'unsigned_or_malformed',
        'bad_signature',
        'unknown_kid',
        'wrong_typ',
        'unsigned_or_malformed',
        'other_device',
        'unknown_batch',
        'id_not_in_batch',
        'id_not_in_batch',
        'settled_and_rejected',
        'bad_payload',
      ].sort(),
    );
    // Refusals never log tap ids.
    const ids = batches.flatMap((b) => b.taps.map((t) => t.id));
    expect(refused.every((l) => !ids.some((id) => JSON.stringify(l).includes(id)))).toBe(true);

    // The genuine ack settles them.
    inject(signAck(payloadOf(batch), dev));
    await waitFor(() => svc.store.counts().unsettled === 2, 'the first batch settled by its genuine ack');
    inject(signAck(payloadOf(batches[1]!), dev));
    await waitFor(() => svc.store.counts().unsettled === 0, 'the second batch settled by its genuine ack');
    expect(stats.tapsSettled).toBe(5);
  });

  it('refuse a replayed genuine ack and an ack of a batch forgotten after its timeouts; the taps are re-sent', async () => {
    const { r, svc, backend, batch, inject } = await heldTaps(3);
    const stats = svc.uploader!.stats;
    const dev = devAckKey();
    const genuine = signAck(payloadOf(batch), dev);
    // The batch times out and is forgotten: a signed ack for it (genuine in every other way) is refused.
    r.clock.advance(ACK_TIMEOUT + 1);
    await waitFor(() => stats.timeouts === 1, 'the batch timed out');
    r.clock.advance(REMEMBER_TIMEOUTS * ACK_TIMEOUT + 1);
    await waitFor(() => backend.batches >= 2, 're-sent');
    inject(genuine);
    await waitFor(() => stats.ackRefused === 1, 'refused');
    expect(r.log.lines.find((l) => l.msg === 'ack refused: nothing settled')?.reason).toBe('unknown_batch');
    expect(svc.store.counts().unsettled).toBe(3);

    // The re-sent batch's genuine ack settles; replaying it (or the one above) changes nothing more.
    const resent = (r.broker.messages(r.link!.topics.taps) as TapBatch[]).at(-1)!;
    const ack = signAck(payloadOf(resent), dev);
    inject(ack);
    await waitFor(() => svc.store.counts().unsettled === 0, 'settled');
    inject(ack);
    inject(genuine);
    await waitFor(() => stats.ackRefused === 3, 'both replays refused');
    const reasons = r.log.lines.filter((l) => l.msg === 'ack refused: nothing settled').map((l) => l.reason);
    expect(reasons.sort()).toEqual(['finished_batch', 'unknown_batch', 'unknown_batch']);
    expect(stats.acks).toBe(1);
    expect(stats.tapsSettled).toBe(3);
  });

  it('take a genuine ack that names an id twice within tapIds or within rejected: each counts once', async () => {
    const { svc, batch, inject } = await heldTaps(4);
    const stats = svc.uploader!.stats;
    const [a, b, c, d] = batch.taps.map((t) => t.id) as [string, string, string, string];
    const ack = payloadOf(batch, {
      tapIds: [a, a, b],
      rejected: [
        { id: c, reason: 'duplicate_id_conflict' },
        { id: c, reason: 'other' },
        { id: d, reason: 'duplicate_id_conflict' },
      ],
    });
    inject(signAck(ack, devAckKey()));
    await waitFor(() => stats.acks === 1, 'the ack taken');
    expect(stats).toMatchObject({ ackRefused: 0, tapsSettled: 2, tapsRejected: 2, ackIdsIgnored: 0 });
    const byId = new Map(svc.store.allTaps().map((t) => [t.id, t]));
    expect([a, b].map((id) => byId.get(id)!.settled)).toEqual([true, true]);
    expect(svc.store.backlog()).toMatchObject({ unsettled: 0, rejected: 2 });
    // The first reason named for c is the one kept.
    const reasons = svc.store.database.prepare('SELECT id, rejected_reason FROM taps WHERE rejected = 1').all();
    expect(reasons).toEqual(
      expect.arrayContaining([
        { id: c, rejected_reason: 'duplicate_id_conflict' },
        { id: d, rejected_reason: 'duplicate_id_conflict' },
      ]),
    );
  });

  it('take a genuine ack that arrives after its batch timed out and was re-sent (the backend stored it)', async () => {
    const { r, svc, backend, batch, inject } = await heldTaps(4);
    const stats = svc.uploader!.stats;
    r.clock.advance(ACK_TIMEOUT + 1);
    await waitFor(() => backend.batches >= 2, 're-sent after the timeout');
    inject(signAck(payloadOf(batch), devAckKey()));
    await waitFor(() => svc.store.counts().unsettled === 0, 'the late ack settled them');
    expect(stats.ackRefused).toBe(0);
  });

  it('take a batch acked in parts, and an empty ack followed by the real one; then a replay is finished_batch', async () => {
    const { r, svc, batch, inject } = await heldTaps(3);
    const stats = svc.uploader!.stats;
    const [a, b, c] = batch.taps.map((t) => t.id) as [string, string, string];
    const dev = devAckKey();
    // "Saw it, settled nothing": the taps stay unsettled, and the batch is still taken.
    inject(signAck(payloadOf(batch, { tapIds: [] }), dev));
    await waitFor(() => stats.acks === 1, 'the empty ack taken');
    expect(svc.store.counts().unsettled).toBe(3);
    inject(signAck(payloadOf(batch, { tapIds: [a] }), dev));
    await waitFor(() => svc.store.counts().unsettled === 2, 'the first part settled');
    // Still taken after the ack timeout (remembered like a batch that timed out).
    r.clock.advance(ACK_TIMEOUT + 1);
    inject(signAck(payloadOf(batch, { tapIds: [b], rejected: [{ id: c, reason: 'duplicate_id_conflict' }] }), dev));
    await waitFor(() => svc.store.counts().unsettled === 0, 'the second part settled');
    expect(stats).toMatchObject({ acks: 3, ackRefused: 0, tapsSettled: 2, tapsRejected: 1 });
    // Every tap named: the batch is finished, and the whole ack again is refused.
    inject(signAck(payloadOf(batch), dev));
    await waitFor(() => stats.ackRefused === 1, 'the replay refused');
    expect(r.log.lines.find((l) => l.msg === 'ack refused: nothing settled')?.reason).toBe('finished_batch');
    expect(stats.tapsSettled).toBe(2);
  });

  it('take a genuine ack without the informational `at`, or without `rejected`', async () => {
    const { svc, batch, inject } = await heldTaps(2);
    const stats = svc.uploader!.stats;
    const [a, b] = batch.taps.map((t) => t.id) as [string, string];
    const { at: _at, ...noAt } = payloadOf(batch, { tapIds: [a] });
    inject(signAck(noAt, devAckKey()));
    await waitFor(() => svc.store.counts().unsettled === 1, 'settled without at');
    const { rejected: _r, ...noRejected } = payloadOf(batch, { tapIds: [b] });
    inject(signAck(noRejected, devAckKey()));
    await waitFor(() => svc.store.counts().unsettled === 0, 'settled without rejected');
    expect(stats).toMatchObject({ acks: 2, ackRefused: 0, tapsSettled: 2 });
  });
});

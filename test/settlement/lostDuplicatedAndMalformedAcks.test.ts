/**
 * A misbehaving backend: the first acks are lost, every ack arrives three times, a malformed
 * payload precedes each ack, and on top come a burst of malformed acks (bad JSON, wrong shapes,
 * empty, binary, 10,001 ids, a 3 MB id), acks naming only unknown ids and replays of old acks.
 * The validator loses no tap, settles none twice, keeps deciding and logs each malformed ack as
 * ignored without its payload. A rule test: in process, in-memory broker, fake backend.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MALFORMED_ACKS } from '../support/independentBackend.ts';
import { waitFor } from '../support/pty.ts';
import { inProcess, type InProcess } from '../service/inProcess.ts';

let r: InProcess | undefined;
afterEach(async () => {
  await r?.svc.stop();
  r = undefined;
});

describe('lost, duplicated and malformed acks', () => {
  it('lose no tap, settle none twice, and do not disturb the validator', async () => {
    r = inProcess({ mqtt: true, settings: { settlement: { batchSize: 10, acceptUnsignedAcks: true } } });
    const { svc, backend, clock, log } = r;
    Object.assign(backend!.faults, { dropFirst: 3, copies: 3, malformedBefore: true });
    await svc.start();
    const stats = svc.uploader!.stats;

    r.ride(30);
    await waitFor(() => svc.processor.counters.accept === 30, '30 accepts');
    // The taps of the dropped acks are re-sent after the ack timeout.
    for (let i = 0; i < 10 && svc.store.counts().unsettled > 0; i++) {
      clock.advance(5_000);
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(svc.store.counts().unsettled).toBe(0);
    expect(backend!.acksDropped).toBe(3);

    // A burst of garbage, unknown-id acks and replays of old acks, while more riders arrive.
    for (const p of MALFORMED_ACKS) backend!.sendRaw(p);
    const unknownAck = (n: number) =>
      JSON.stringify({ batchId: randomUUID(), tapIds: Array.from({ length: n }, () => randomUUID()) });
    for (let i = 0; i < 3; i++) r.broker.inject(r.link!.topics.acks, unknownAck(20));
    r.broker.inject(r.link!.topics.acks, unknownAck(10_000)); // well-formed, the largest an ack may be
    backend!.replay(0);
    backend!.replay(backend!.sentAcks.length - 1);
    r.ride(30);
    backend!.replay(1);
    await waitFor(() => svc.processor.counters.accept === 60, '60 accepts');
    await waitFor(() => svc.store.counts().unsettled === 0, 'all 60 settled', 5000);

    // Every malformed payload was logged as ignored, one line each, never with the payload.
    const ignored = log.lines.filter((l) => l.msg === 'malformed ack ignored');
    expect(ignored.length).toBe(backend!.malformedSent);
    expect(stats.malformedAcks).toBe(backend!.malformedSent);
    expect(ignored.every((l) => l.level === 'warn' && typeof l.bytes === 'number')).toBe(true);
    expect(Math.max(...ignored.map((l) => JSON.stringify(l).length))).toBeLessThan(1000);

    // Each tap settled once; the duplicates and unknown ids were counted, not applied.
    expect(svc.store.counts().taps).toBe(60);
    expect(stats.tapsSettled).toBe(60);
    expect(backend!.settled.size).toBe(60);
    expect(Math.max(...backend!.receipts.values())).toBeGreaterThan(1); // the dropped acks' taps came again
    expect(stats.ackIdsIgnored).toBeGreaterThan(10_000);

    // Still deciding: one more rider is accepted and settled; nothing was logged as an error.
    r.ride(1);
    await waitFor(() => svc.store.counts().taps === 61 && svc.store.counts().unsettled === 0, 'one more settled');
    expect(log.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});

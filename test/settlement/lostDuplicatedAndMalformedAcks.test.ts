/**
 * A misbehaving backend: the first acks are lost, every ack arrives three times and names unknown
 * ids too, a malformed payload precedes each ack, and on top come a burst of malformed acks (bad
 * JSON, wrong shapes, empty, binary, 10,001 ids, a 3 MB id), acks naming only unknown ids and
 * replays of old acks. The real `faregate run` process loses no tap, settles none twice, keeps
 * deciding, logs each malformed ack as ignored, and stops cleanly.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndependentBackend } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { killAllServices, ServiceProcess } from '../support/serviceProcess.ts';
import { acceptedTapIds, collect, DEVICE, expectExactlyOnce, Feeder, METRICS_TOPIC, readStore, report, settlementSettings, tempDir, waitStoreSettled, WAIT } from './harness.ts';

let broker: Mosquitto | undefined;
let backend: IndependentBackend | undefined;
afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
  await backend?.stop();
  await broker?.stop();
});


describe('lost, duplicated and malformed acks', () => {
  it('lose no tap, settle none twice, and do not disturb the validator', async () => {
    const t0 = Date.now();
    broker = await startMosquitto();
    backend = await IndependentBackend.start({
      url: broker.url,
      faults: { dropFirstAcks: 3, duplicateAcks: 2, unknownIdsInAcks: 3, malformedBeforeEachAck: true },
    });
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const scanner = await startPtyPair();
    const svc = ServiceProcess.start(dir, settlementSettings(scanner.a, dataDir, broker.url, { settlement: { batchSize: 10 } }));
    await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
    await svc.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected', WAIT);
    const metrics = await collect(broker.url, [METRICS_TOPIC]);
    const feeder = await Feeder.open(scanner.b);

    await feeder.feed(30, 10);
    await waitFor(() => acceptedTapIds(svc.decisions()).length >= 30, '30 accepts', WAIT);
    await waitStoreSettled(dataDir, 30, WAIT);
    expect(backend.counters.acksDropped).toBe(3);

    // A burst of garbage, unknown-id acks and replays of old acks, while more riders arrive.
    backend.sendMalformedAcks(DEVICE);
    for (let i = 0; i < 3; i++) backend.sendUnknownAck(DEVICE, 20);
    backend.sendUnknownAck(DEVICE, 10_000); // well-formed, the largest an ack may be, all unknown
    backend.replayOldAck(0);
    backend.replayOldAck(backend.sentAcks.length - 1);
    await feeder.feed(30, 10);
    backend.replayOldAck(1);
    backend.sendMalformedAcks(DEVICE);
    await waitFor(() => acceptedTapIds(svc.decisions()).length >= 60, '60 accepts', WAIT);
    const rows = await waitStoreSettled(dataDir, 60, WAIT);
    await backend.waitSettled(
      rows.map((r) => r.id),
      WAIT,
    );

    // Every malformed payload was logged as ignored, one line each; nothing else was.
    const ignored = () => svc.lines.filter((l) => l.msg === 'malformed ack ignored');
    await waitFor(() => ignored().length >= backend!.counters.malformedSent, `${backend.counters.malformedSent} malformed acks logged`, WAIT);
    await new Promise((r) => setTimeout(r, 300));
    expect(ignored().length).toBe(backend.counters.malformedSent);
    expect(ignored().every((l) => l.level === 40 && typeof l.bytes === 'number')).toBe(true);
    // The log line never echoes the payload (the 3 MB one included).
    expect(Math.max(...ignored().map((l) => JSON.stringify(l).length))).toBeLessThan(1000);

    // Still running and deciding: one more rider is accepted and settled.
    expect(svc.lines.filter((l) => l.level !== undefined && (l.level as number) >= 50)).toEqual([]);
    await feeder.feed(1);
    await waitFor(() => acceptedTapIds(svc.decisions()).length >= 61, 'one more accept', WAIT);
    await waitStoreSettled(dataDir, 61, WAIT);
    await new Promise((r) => setTimeout(r, 500));
    const r = expectExactlyOnce(readStore(dataDir), backend, acceptedTapIds(svc.decisions()));
    expect(r.accepted).toBe(61);
    expect(r.duplicateReceipts).toBeGreaterThan(0); // the taps of the dropped acks came again

    // The validator's own counters agree (latest metrics).
    const upload = await waitFor(
      () => {
        const last = metrics.messages.at(-1)?.body.upload as Record<string, number> | undefined;
        return last && last.malformedAcks === backend!.counters.malformedSent && last.tapsSettled === 61 ? last : undefined;
      },
      'metrics with the final upload counters',
      WAIT,
    );
    expect(upload.ackIdsIgnored).toBeGreaterThan(10_000);

    await svc.kill('SIGTERM');
    expect((await svc.exited).code).toBe(0);
    report('lostDuplicatedAndMalformedAcks', {
      ...r,
      acksDropped: backend.counters.acksDropped,
      acksSent: backend.counters.acksSent,
      malformedSent: backend.counters.malformedSent,
      malformedLogged: ignored().length,
      ackIdsIgnored: upload.ackIdsIgnored,
      ms: Date.now() - t0,
    });
    await metrics.close();
    await feeder.close();
  }, 120_000);
});

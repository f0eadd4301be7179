/**
 * SIGKILL the real `faregate run` process while it uploads (the backend has some taps of the
 * stream but not all, and its acks are delayed so batches are received but not yet acknowledged
 * at the kill); restart it on the same data dir: every accepted tap is settled at the backend
 * exactly once, and the validator's store marks all of them settled.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndependentBackend } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import { killAllServices, ServiceProcess } from '../support/serviceProcess.ts';
import {
  acceptedTapIds,
  DEVICE,
  expectExactlyOnce,
  Feeder,
  readStore,
  report,
  settlementSettings,
  STATUS_TOPIC,
  tempDir,
  waitRetained,
  waitStoreSettled,
  WAIT,
} from './harness.ts';

let broker: Mosquitto | undefined;
let backend: IndependentBackend | undefined;
afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
  await backend?.stop();
  await broker?.stop();
});

describe('validator SIGKILLed mid-upload', () => {
  it('settles every accepted tap exactly once after a restart on the same data dir', async () => {
    const t0 = Date.now();
    broker = await startMosquitto();
    backend = await IndependentBackend.start({ url: broker.url, faults: { delayAckMs: 250 } });
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const scanner = await startPtyPair();
    const settings = settlementSettings(scanner.a, dataDir, broker.url, { settlement: { batchSize: 20 } });

    const svc1 = ServiceProcess.start(dir, settings);
    await svc1.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
    await svc1.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected', WAIT);
    const feeder = await Feeder.open(scanner.b);

    const TOTAL = 200;
    let killed = false;
    const feeding = feeder.feed(TOTAL, 5, () => killed);
    // Kill once the backend has part of the stream (and, with delayed acks, some of it unacknowledged).
    await waitFor(() => backend!.settled.size >= 60, 'backend received 60 taps', WAIT, 5);
    await svc1.kill('SIGKILL');
    killed = true;
    const written1 = await feeding;
    await new Promise((r) => setTimeout(r, 200)); // let the dead process's last log lines drain from the pipe
    const receivedAtKill = backend.settled.size;
    const accepted1 = acceptedTapIds(svc1.decisions());

    const atKill = readStore(dataDir);
    const unsettledAtKill = atKill.filter((r) => r.settled === 0);
    const receivedButUnsettled = unsettledAtKill.filter((r) => backend!.settled.has(r.id)).length;
    // The kill really was mid-upload: the backend had some of the stream, not all, and the store still owed some.
    expect(receivedAtKill).toBeGreaterThan(0);
    expect(receivedAtKill).toBeLessThan(TOTAL);
    expect(unsettledAtKill.length).toBeGreaterThan(0);
    // Every logged accept is in the store (the store may hold one more: a tap is committed before its log line).
    const atKillIds = new Set(atKill.map((r) => r.id));
    expect(accepted1.filter((id) => !atKillIds.has(id))).toEqual([]);
    expect(atKill.length - accepted1.length).toBeLessThanOrEqual(1);

    // Restart on the same store and feed the riders not written before the kill.
    const svc2 = ServiceProcess.start(dir, settings);
    await svc2.waitForLine((l) => l.msg === 'scanner up', 'scanner up after restart', WAIT);
    const rest = TOTAL - written1;
    await feeder.feed(rest, 5);
    const accepted2Want = rest;
    await waitFor(
      () => acceptedTapIds(svc2.decisions()).length >= accepted2Want,
      `${accepted2Want} accepts after the restart`,
      WAIT,
    );
    const accepted = [...accepted1, ...acceptedTapIds(svc2.decisions())];

    const rows = await waitStoreSettled(dataDir, accepted.length, WAIT);
    await backend.waitSettled(
      rows.map((r) => r.id),
      WAIT,
    );
    // Acks still in flight could only add receipts; give them a moment, then check.
    await new Promise((r) => setTimeout(r, 600));
    const finalRows = readStore(dataDir);
    const r = expectExactlyOnce(finalRows, backend, accepted);
    // Riders written in the instant of the kill but not yet decided got no gate (they scan again);
    // every rider written after the restart was accepted.
    expect(r.accepted - accepted.length).toBeGreaterThanOrEqual(0);
    expect(r.accepted - accepted.length).toBeLessThanOrEqual(1);
    expect(r.accepted).toBeGreaterThanOrEqual(TOTAL - (written1 - accepted1.length));

    // The restarted validator is the one the status topic shows (not the dead one's will).
    expect(
      await waitRetained(broker.url, STATUS_TOPIC, (m) => m.online === true, 'online after the restart', WAIT),
    ).toMatchObject({ online: true, deviceId: DEVICE });

    const redelivered = atKill.filter((t) => t.settled === 0 && (backend!.receipts.get(t.id) ?? 0) > 1).length;
    report('validatorKilledMidUpload', {
      ...r,
      acceptedBeforeKill: accepted1.length,
      inStoreAtKill: atKill.length,
      writtenNotDecidedBeforeKill: written1 - accepted1.length,
      receivedByBackendAtKill: receivedAtKill,
      unsettledInStoreAtKill: unsettledAtKill.length,
      receivedButUnackedAtKill: receivedButUnsettled,
      ofThoseReceivedAgain: redelivered,
      ms: Date.now() - t0,
    });
    await svc2.kill('SIGTERM');
    expect((await svc2.exited).code).toBe(0);
    await feeder.close();
  }, 120_000);
});

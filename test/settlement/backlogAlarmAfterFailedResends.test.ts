/**
 * With `alarms.failedAttempts: 2` and a backend that receives batches but never acks, the
 * validator re-sends and raises `upload_failing`: an event `{"kind": "alarm", "alarm":
 * "upload_failing", "state": "raised", …}` on `P/gates/D/events` and the alarm listed in the
 * retained status. Once acks flow, every tap is settled once and the alarm clears (event and
 * status). Validator in-process, real pty scanner and Mosquitto.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { IndependentBackend } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { startPtyPair, stopAllPtyPairs, waitFor } from '../support/pty.ts';
import {
  acceptedTapIds,
  captureLogger,
  collect,
  DEVICE,
  EVENTS_TOPIC,
  expectExactlyOnce,
  Feeder,
  readStore,
  report,
  settlementConfig,
  STATUS_TOPIC,
  tempDir,
  waitRetained,
  waitStoreSettled,
  WAIT,
} from './harness.ts';

let broker: Mosquitto | undefined;
let backend: IndependentBackend | undefined;
let svc: ValidatorService | undefined;
afterAll(async () => {
  await svc?.stop().catch(() => undefined);
  await stopAllPtyPairs();
  await backend?.stop();
  await broker?.stop();
});

describe('backlog alarm after failed re-sends', () => {
  it('raises upload_failing on events and in the status, and clears it once acks flow', async () => {
    const t0 = Date.now();
    broker = await startMosquitto();
    backend = await IndependentBackend.start({ url: broker.url, faults: { acking: false } });
    const events = await collect(broker.url, [EVENTS_TOPIC]);
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const scanner = await startPtyPair();
    const config = settlementConfig(scanner.a, dataDir, broker.url, { settlement: { alarms: { failedAttempts: 2 } } });
    const log = captureLogger();
    svc = new ValidatorService(config, { logger: log });
    await svc.start();
    await waitFor(() => svc!.link!.connected && svc!.status().scanner.state === 'up', 'mqtt and scanner up', WAIT);
    const feeder = await Feeder.open(scanner.b);

    await feeder.feed(8, 10);
    await waitFor(() => svc!.processor.counters.accept >= 8, '8 accepts', WAIT);
    const alarmEvents = () => events.messages.filter((m) => m.body.kind === 'alarm' && m.body.alarm === 'upload_failing');
    const raised = await waitFor(() => alarmEvents().find((m) => m.body.state === 'raised'), 'upload_failing raised', WAIT);
    expect(raised.body).toMatchObject({ kind: 'alarm', alarm: 'upload_failing', state: 'raised', threshold: 2 });
    expect(raised.body.value as number).toBeGreaterThanOrEqual(2);
    expect(typeof raised.body.at).toBe('number');
    const st = await waitRetained(broker.url, STATUS_TOPIC, (s) => (s.alarms as string[]).includes('upload_failing'), 'status listing upload_failing', WAIT);
    expect(st).toMatchObject({ online: true, deviceId: DEVICE });
    expect((st.backlog as { unsettled: number }).unsettled).toBe(8);
    // Batches did reach the backend, more than once each: it is the acks that are missing.
    expect(backend.settled.size).toBe(8);
    expect(backend.counters.acksUnsent).toBeGreaterThanOrEqual(2);
    expect(readStore(dataDir).every((r) => r.settled === 0 && r.attempts >= 2)).toBe(true);
    expect(alarmEvents().filter((m) => m.body.state === 'cleared')).toEqual([]);

    // Acks flow again: settled, then the alarm clears.
    backend.faults.acking = true;
    const rows = await waitStoreSettled(dataDir, 8, WAIT);
    const cleared = await waitFor(() => alarmEvents().find((m) => m.body.state === 'cleared'), 'upload_failing cleared', WAIT);
    expect(cleared.body).toMatchObject({ kind: 'alarm', alarm: 'upload_failing', state: 'cleared', value: 0, threshold: 2 });
    const st2 = await waitRetained(broker.url, STATUS_TOPIC, (s) => !(s.alarms as string[]).includes('upload_failing'), 'status without upload_failing', WAIT);
    expect(st2).toMatchObject({ online: true, alarms: [] });
    expect(alarmEvents().map((m) => m.body.state)).toEqual(['raised', 'cleared']);

    const acceptIds = acceptedTapIds(log.lines);
    const r = expectExactlyOnce(rows, backend, acceptIds);
    expect(r.accepted).toBe(8);
    expect(r.duplicateReceipts).toBeGreaterThanOrEqual(8);
    // The raise and the clear were logged too.
    expect(log.lines.filter((l) => l.alarm === 'upload_failing').map((l) => l.msg)).toEqual(['alarm raised', 'alarm cleared']);
    report('backlogAlarmAfterFailedResends', {
      ...r,
      acksWithheld: backend.counters.acksUnsent,
      raisedAfterMs: (raised.body.at as number) - t0,
      clearedAfterMs: (cleared.body.at as number) - t0,
      ms: Date.now() - t0,
    });
    await events.close();
    await feeder.close();
    await svc.stop();
    svc = undefined;
  }, 120_000);
});

/**
 * The backend is offline for a while (broker up): gates keep accepting riders, taps pile up in
 * the store and are re-sent with backoff; the backlog shows in the metrics and, past the
 * `unsettledCount` threshold, as an alarm in the retained status. The backend uses a persistent
 * session, so the broker queues every re-sent batch while it is away: when it returns it gets
 * each tap several times, settles it once, and the validator's backlog drains to zero: the
 * retained status on the wire says `unsettled: 0` within a few seconds of the last ack, and after
 * a clean stop it keeps those figures beside `online: false`.
 * Runs the validator in-process (fake scanner link, real Mosquitto).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { IndependentBackend } from '../support/independentBackend.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import {
  acceptedTapIds,
  captureLogger,
  collect,
  expectExactlyOnce,
  FakeFeeder,
  METRICS_TOPIC,
  readRetained,
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
  await backend?.stop();
  await broker?.stop();
});

describe('backend down while the gates work', () => {
  it('keeps the taps, shows the backlog, and settles each once when the backend returns', async () => {
    const t0 = Date.now();
    broker = await startMosquitto();
    backend = await IndependentBackend.start({
      url: broker.url,
      persistentSession: true,
      clientId: 'independent-backend-down',
    });
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const config = settlementConfig('/dev/fake-scanner', dataDir, broker.url, {
      settlement: { alarms: { unsettledCount: 20 } },
    });
    const log = captureLogger();
    const feeder = new FakeFeeder();
    svc = new ValidatorService(config, { logger: log, scannerTransport: () => feeder.scanner });
    const metrics = await collect(broker.url, [METRICS_TOPIC]);
    await svc.start();
    await waitFor(() => svc!.link!.connected && svc!.status().scanner.state === 'up', 'mqtt and scanner up', WAIT);

    await feeder.feed(5);
    await waitStoreSettled(dataDir, 5, WAIT);

    await backend.goOffline();
    await feeder.feed(40);
    await waitFor(() => svc!.processor.counters.accept >= 45, '45 accepts', WAIT);
    // Let several re-send rounds happen (ack timeout 500 ms, backoff up to 2 s).
    await new Promise((r) => setTimeout(r, 3500));

    const during = readStore(dataDir);
    const owed = during.filter((r) => r.settled === 0);
    expect(owed.length).toBe(40);
    expect(Math.max(...owed.map((r) => r.attempts))).toBeGreaterThanOrEqual(2);
    expect(svc.uploader!.stats.timeouts).toBeGreaterThan(0);
    // The backlog is visible: in the metrics ...
    const m = await waitFor(
      () => metrics.messages.find((x) => (x.body.backlog as { unsettled: number } | undefined)?.unsettled === 40),
      'metrics with a backlog of 40',
      WAIT,
    );
    expect(m.body.alarms).toContain('backlog_count');
    // ... and in the retained status, with the alarm.
    const st = await waitRetained(
      broker.url,
      STATUS_TOPIC,
      (s) => (s.alarms as string[]).includes('backlog_count'),
      'status with backlog_count',
      WAIT,
    );
    expect((st.backlog as { unsettled: number }).unsettled).toBeGreaterThanOrEqual(20);
    expect(backend.settled.size).toBe(5);

    // The backend returns: the broker hands it the batches queued meanwhile (many copies).
    await backend.comeBack();
    const rows = await waitStoreSettled(dataDir, 45, WAIT);
    const drainedAt = Date.now();
    const drained = await waitRetained(
      broker.url,
      STATUS_TOPIC,
      (s) => (s.backlog as { unsettled: number }).unsettled === 0,
      'status with backlog 0',
      WAIT,
    );
    const statusLagMs = Date.now() - drainedAt;
    expect(statusLagMs).toBeLessThan(5000);
    expect(drained).toMatchObject({ online: true, backlog: { unsettled: 0, oldestUnsettledAgeSec: null } });
    await backend.waitSettled(
      rows.map((r) => r.id),
      WAIT,
    );
    await new Promise((r) => setTimeout(r, 500));
    const acceptIds = acceptedTapIds(log.lines);
    const r = expectExactlyOnce(readStore(dataDir), backend, acceptIds);
    expect(r.accepted).toBe(45);
    expect(r.duplicateReceipts).toBeGreaterThan(0);
    // The backlog drains and the alarm clears.
    await waitRetained(
      broker.url,
      STATUS_TOPIC,
      (s) => !(s.alarms as string[]).includes('backlog_count'),
      'status without backlog_count',
      WAIT,
    );
    await waitFor(
      () =>
        metrics.messages.find(
          (x, i) => i > metrics.messages.indexOf(m) && (x.body.backlog as { unsettled: number }).unsettled === 0,
        ),
      'metrics with an empty backlog',
      WAIT,
    );

    report('backendDownWhileGatesWork', {
      ...r,
      acceptedWhileBackendDown: 40,
      maxAttemptsWhileDown: Math.max(...owed.map((x) => x.attempts)),
      uploaderTimeouts: svc.uploader!.stats.timeouts,
      statusLagMs,
      ms: Date.now() - t0,
    });
    await metrics.close();
    await svc.stop();
    svc = undefined;
    // A clean stop: offline, with the last figures (what `faregate monitor` shows for it).
    const off = await readRetained(broker.url, STATUS_TOPIC);
    expect(off).toMatchObject({
      online: false,
      deviceId: 'test-bus-1',
      mode: 'bus',
      place: 'route-7',
      backlog: { unsettled: 0 },
      alarms: [],
    });
  }, 120_000);
});

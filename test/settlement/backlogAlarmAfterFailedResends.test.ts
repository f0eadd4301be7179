/**
 * With `alarms.failedAttempts: 2` and a backend that receives batches but never acks, the
 * validator re-sends and raises `upload_failing`: an event `{"kind": "alarm", "alarm":
 * "upload_failing", "state": "raised", …}` on `P/gates/D/events` and the alarm listed in the
 * retained status. Once acks flow, every tap is settled once and the alarm clears (event and
 * status). A rule test: the service in process, the in-memory broker and a fake backend, the
 * clock moved past the ack timeouts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/pty.ts';
import { inProcess, type InProcess } from '../service/inProcess.ts';

let r: InProcess | undefined;
afterEach(async () => {
  await r?.svc.stop();
  r = undefined;
});

describe('backlog alarm after failed re-sends', () => {
  it('raises upload_failing on events and in the status, and clears it once acks flow', async () => {
    r = inProcess({ mqtt: true, settings: { settlement: { alarms: { failedAttempts: 2 } } } });
    const { svc, broker, backend, link, clock, log } = r;
    backend!.faults.acking = false;
    await svc.start();
    const topics = link!.topics;
    const alarmEvents = () =>
      (broker.messages(topics.events) as Record<string, unknown>[]).filter(
        (m) => m.kind === 'alarm' && m.alarm === 'upload_failing',
      );
    const status = () => broker.retainedJson(topics.status) as { alarms: string[]; backlog: { unsettled: number } };

    r.ride(8);
    await waitFor(() => svc.processor.counters.accept === 8 && backend!.settled.size === 8, '8 accepts sent');
    // No ack: each re-send comes after the ack timeout (doubling); move the clock past them.
    for (let i = 0; i < 4 && !alarmEvents().length; i++) {
      clock.advance(5_000);
      await waitFor(() => svc.uploader!.stats.timeouts > i, `timeout ${i + 1}`);
      await waitFor(() => backend!.batches > i + 1, `re-send ${i + 1}`);
      svc.telemetry.check();
    }
    const raised = alarmEvents().find((m) => m.state === 'raised');
    expect(raised).toMatchObject({
      kind: 'alarm',
      alarm: 'upload_failing',
      state: 'raised',
      threshold: 2,
      at: expect.any(Number),
    });
    expect(raised!.value as number).toBeGreaterThanOrEqual(2);
    await waitFor(() => status().alarms.includes('upload_failing'), 'status listing upload_failing', 3000);
    expect(status()).toMatchObject({ online: true, deviceId: 'test-bus-1', backlog: { unsettled: 8 } });
    expect(svc.store.counts().unsettled).toBe(8);
    expect(alarmEvents().filter((m) => m.state === 'cleared')).toEqual([]);

    // Acks flow again: settled once each, then the alarm clears (event and status).
    backend!.faults.acking = true;
    clock.advance(60_000);
    await waitFor(() => svc.store.counts().unsettled === 0, 'all settled', 5000);
    svc.telemetry.check();
    const cleared = alarmEvents().find((m) => m.state === 'cleared');
    expect(cleared).toMatchObject({ kind: 'alarm', alarm: 'upload_failing', state: 'cleared', value: 0, threshold: 2 });
    await waitFor(() => !status().alarms.includes('upload_failing'), 'status without upload_failing', 3000);
    expect(status()).toMatchObject({ online: true, alarms: [], backlog: { unsettled: 0 } });
    expect(alarmEvents().map((m) => m.state)).toEqual(['raised', 'cleared']);
    expect([...backend!.receipts.values()].every((n) => n >= 2)).toBe(true);
    expect(svc.uploader!.stats.tapsSettled).toBe(8);
    expect(log.lines.filter((l) => l.alarm === 'upload_failing').map((l) => l.msg)).toEqual([
      'alarm raised',
      'alarm cleared',
    ]);
  });
});

/**
 * Telemetry's rules, without a broker or a store file: backlog alarms raised and cleared once
 * each through the one alarm path (event + status change), the status asked for when the
 * backlog's count or attempts change (not for the age alone), alarm events kept while offline and
 * sent on reconnect (the one offline rule of src/fleet/events.ts), metrics with the backlog and
 * alarm names beside the service's body.
 */
import { describe, expect, it } from 'vitest';
import { SettlementSchema } from '../../src/config/schema.ts';
import { AlarmBoard } from '../../src/fleet/alarms.ts';
import { EventOutbox } from '../../src/fleet/events.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { Telemetry } from '../../src/settlement/telemetry.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';

function setup(o: { link?: boolean } = {}) {
  const cfg = SettlementSchema.parse({
    alarms: { unsettledCount: 10, oldestUnsettledSeconds: 600, failedAttempts: 3, storeCapacity: 100 },
  });
  const clock = {
    t: 1_800_000_000_000,
    now() {
      return this.t;
    },
  };
  const backlog = { unsettled: 0, oldestAt: null as number | null, maxAttempts: 0 };
  const broker = new MemoryBroker();
  const link = o.link === false ? undefined : new MemoryMqttLink(broker, 'gate-tel-1');
  link?.start();
  let statusChanges = 0;
  const outbox = new EventOutbox(link);
  const alarms = new AlarmBoard({ events: outbox, logger: silentLogger, clock, statusChanged: () => statusChanges++ });
  const t = new Telemetry({
    alarms,
    store: { backlog: () => ({ ...backlog }) },
    link,
    cfg,
    clock,
    log: silentLogger,
    metricsBody: () => ({ deviceId: 'gate-tel-1', decisions: { accept: 1 } }),
    statusChanged: () => statusChanges++,
  });
  const events = () => (link ? (broker.messages(link.topics.events) as Record<string, unknown>[]) : []);
  return { t, clock, backlog, broker, link, events, outbox, changes: () => statusChanges };
}

describe('Telemetry', () => {
  it('raises each backlog alarm once past its threshold and clears it once below (events, status)', () => {
    const { t, clock, backlog, events, changes } = setup();
    t.check();
    expect(t.alarms).toEqual([]);
    Object.assign(backlog, { unsettled: 95, oldestAt: clock.t - 700_000, maxAttempts: 3 });
    t.check();
    expect(t.alarms.map((a) => a.alarm).sort()).toEqual([
      'backlog_age',
      'backlog_count',
      'store_near_limit',
      'upload_failing',
    ]);
    expect(events().filter((e) => e.state === 'raised')).toHaveLength(4);
    expect(events().find((e) => e.alarm === 'backlog_count')).toMatchObject({
      kind: 'alarm',
      value: 95,
      threshold: 10,
      at: clock.t,
    });
    const afterRaise = changes();
    t.check(); // still on: no new event
    expect(events()).toHaveLength(4);
    Object.assign(backlog, { unsettled: 0, oldestAt: null, maxAttempts: 0 });
    t.check();
    expect(t.alarms).toEqual([]);
    expect(
      events()
        .filter((e) => e.state === 'cleared')
        .map((e) => e.alarm)
        .sort(),
    ).toEqual(['backlog_age', 'backlog_count', 'store_near_limit', 'upload_failing']);
    // The backlog change itself, and each alarm cleared (the status publisher rate-limits them).
    expect(changes()).toBe(afterRaise + 5);
    expect(t.backlog).toEqual({ unsettled: 0, oldestUnsettledAgeSec: null, maxAttempts: 0, rejected: 0 });
  });

  it('asks for a status publish when the unsettled count or attempts change, not when only the age grows', () => {
    const { t, clock, backlog, changes } = setup();
    t.check();
    const c0 = changes();
    Object.assign(backlog, { unsettled: 3, oldestAt: clock.t });
    t.check();
    expect(changes()).toBe(c0 + 1);
    clock.t += 5000;
    t.check();
    expect(t.backlog.oldestUnsettledAgeSec).toBe(5);
    expect(changes()).toBe(c0 + 1);
    backlog.maxAttempts = 1;
    t.check();
    expect(changes()).toBe(c0 + 2);
    Object.assign(backlog, { unsettled: 0, oldestAt: null, maxAttempts: 0 });
    t.check();
    expect(changes()).toBe(c0 + 3);
  });

  it('keeps alarm events while offline and sends them on reconnect, like every other event', () => {
    const { t, link, events, outbox, backlog } = setup();
    link!.disconnect();
    backlog.unsettled = 12;
    t.check();
    expect(t.alarms.map((a) => a.alarm)).toEqual(['backlog_count']);
    expect(events()).toHaveLength(0);
    expect(outbox.queued).toBe(1);
    link!.connect();
    expect(events()).toMatchObject([{ kind: 'alarm', state: 'raised', alarm: 'backlog_count', value: 12 }]);
    expect(outbox.queued).toBe(0);
  });

  it('publishes metrics with the backlog and alarm names beside the service body, and none after stop', async () => {
    const { t, broker, link, backlog } = setup();
    backlog.unsettled = 12;
    t.check();
    await t.publishMetrics();
    const m = broker.messages(link!.topics.metrics) as Record<string, unknown>[];
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({
      deviceId: 'gate-tel-1',
      decisions: { accept: 1 },
      backlog: { unsettled: 12 },
      alarms: ['backlog_count'],
    });
    t.stop();
    await t.publishMetrics();
    expect(broker.messages(link!.topics.metrics)).toHaveLength(1);
  });
});

/**
 * Telemetry's rules, without a broker or a store file: backlog alarms raised and cleared once
 * each (event + status change), the status asked for when the backlog's count or attempts change
 * (not for the age alone), events dropped and counted without a broker or after stop, metrics
 * with the backlog and alarm names beside the service's body.
 */
import { describe, expect, it } from 'vitest';
import { SettlementSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { Telemetry } from '../../src/settlement/telemetry.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';

function setup(o: { link?: boolean } = {}) {
  const cfg = SettlementSchema.parse({ alarms: { unsettledCount: 10, oldestUnsettledSeconds: 600, failedAttempts: 3, storeCapacity: 100 } });
  const clock = { t: 1_800_000_000_000, now() { return this.t; } };
  const backlog = { unsettled: 0, oldestAt: null as number | null, maxAttempts: 0 };
  const broker = new MemoryBroker();
  const link = o.link === false ? undefined : new MemoryMqttLink(broker, 'gate-tel-1');
  link?.start();
  let statusChanges = 0;
  const t = new Telemetry({
    store: { backlog: () => ({ ...backlog }) },
    link,
    cfg,
    clock,
    log: silentLogger,
    metricsBody: () => ({ deviceId: 'gate-tel-1', decisions: { accept: 1 } }),
    statusChanged: () => statusChanges++,
  });
  const events = () => (link ? (broker.messages(link.topics.events) as Record<string, unknown>[]) : []);
  return { t, clock, backlog, broker, link, events, changes: () => statusChanges };
}

describe('Telemetry', () => {
  it('raises each backlog alarm once past its threshold and clears it once below (events, status)', () => {
    const { t, clock, backlog, events, changes } = setup();
    t.check();
    expect(t.alarms).toEqual([]);
    Object.assign(backlog, { unsettled: 95, oldestAt: clock.t - 700_000, maxAttempts: 3 });
    t.check();
    expect(t.alarms.map((a) => a.alarm).sort()).toEqual(['backlog_age', 'backlog_count', 'store_near_limit', 'upload_failing']);
    expect(events().filter((e) => e.state === 'raised')).toHaveLength(4);
    expect(events().find((e) => e.alarm === 'backlog_count')).toMatchObject({ kind: 'alarm', value: 95, threshold: 10, at: clock.t });
    const afterRaise = changes();
    t.check(); // still on: no new event
    expect(events()).toHaveLength(4);
    Object.assign(backlog, { unsettled: 0, oldestAt: null, maxAttempts: 0 });
    t.check();
    expect(t.alarms).toEqual([]);
    expect(events().filter((e) => e.state === 'cleared').map((e) => e.alarm).sort()).toEqual([
      'backlog_age',
      'backlog_count',
      'store_near_limit',
      'upload_failing',
    ]);
    expect(changes()).toBe(afterRaise + 1);
    expect(t.backlog).toEqual({ unsettled: 0, oldestUnsettledAgeSec: null, maxAttempts: 0 });
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

  it('drops events without a broker and after stop, counting them', () => {
    const offline = setup({ link: false });
    offline.t.event({ at: 1, kind: 'reject', reason: 'code_expired' });
    expect(offline.t.eventsDropped).toBe(1);
    const { t, link, events } = setup();
    t.start();
    t.event({ at: 1, kind: 'reject', reason: 'code_expired' });
    expect(events()).toHaveLength(1);
    t.stop();
    t.event({ at: 2, kind: 'reject', reason: 'code_expired' });
    expect(events()).toHaveLength(1);
    expect(t.eventsDropped).toBe(1);
    link!.disconnect();
  });

  it('publishes metrics with the backlog and alarm names beside the service body, and none after stop', async () => {
    const { t, broker, link, backlog } = setup();
    backlog.unsettled = 12;
    t.check();
    await t.publishMetrics();
    const m = broker.messages(link!.topics.metrics) as Record<string, unknown>[];
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ deviceId: 'gate-tel-1', decisions: { accept: 1 }, backlog: { unsettled: 12 }, alarms: ['backlog_count'] });
    t.stop();
    await t.publishMetrics();
    expect(broker.messages(link!.topics.metrics)).toHaveLength(1);
  });
});

/** The monitor's pure model: messages in, state out, with an injected clock. */
import { describe, expect, it } from 'vitest';
import { FleetModel, hasStaleFlag, ratePerMinute } from '../../src/monitor/fleetModel.ts';
import { listsText, renderFleet } from '../../src/monitor/render.ts';

const P = 'faregate/v1';

function model(start = 1_800_000_000_000) {
  const clock = {
    t: start,
    now() {
      return this.t;
    },
  };
  return { m: new FleetModel(P, clock), clock };
}

const metrics = (at: number, accept: number, reject: number, ignore: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    at,
    deviceId: 'g1',
    decisions: { accept, reject, ignore, byReason: {} },
    backlog: { unsettled: 3, oldestUnsettledAgeSec: 42, maxAttempts: 0 },
    alarms: [],
    memoryRss: 64 * 1024 * 1024,
    ...extra,
  });

describe('FleetModel', () => {
  it('computes decisions per minute by outcome from successive metrics counters, over the gate-clock interval', () => {
    const { m, clock } = model();
    const t0 = clock.t;
    m.handle(`${P}/gates/g1/metrics`, metrics(t0, 100, 10, 4));
    expect(m.snapshot().gates[0]!.decisionsPerMinute).toBeNull(); // one sample is not a rate
    // 30 s later by the gate's clock; the message arrives 2 s late (broker queue): the rate uses `at`.
    clock.t = t0 + 32_000;
    m.handle(`${P}/gates/g1/metrics`, metrics(t0 + 30_000, 160, 13, 4));
    const g = m.snapshot().gates[0]!;
    expect(g.decisionsPerMinute).toEqual({ accept: 120, reject: 6, ignore: 0 });
    expect(g.decisions).toEqual({ accept: 160, reject: 13, ignore: 4 });
    expect(g.clockOffsetMs).toBe(-2000);
  });

  it('starts a new baseline when the counters go down (service restarted)', () => {
    const { m, clock } = model();
    m.handle(`${P}/gates/g1/metrics`, metrics(clock.t, 500, 0, 0));
    clock.t += 60_000;
    m.handle(`${P}/gates/g1/metrics`, metrics(clock.t, 3, 0, 0));
    expect(m.snapshot().gates[0]!.decisionsPerMinute).toBeNull();
    clock.t += 60_000;
    m.handle(`${P}/gates/g1/metrics`, metrics(clock.t, 33, 1, 0));
    expect(m.snapshot().gates[0]!.decisionsPerMinute).toEqual({ accept: 30, reject: 1, ignore: 0 });
  });

  it('falls back to receive times when the gate clock did not move', () => {
    expect(
      ratePerMinute(
        { at: 5, receivedAt: 0, counts: { accept: 0, reject: 0, ignore: 0 } },
        { at: 5, receivedAt: 30_000, counts: { accept: 10, reject: 0, ignore: 0 } },
      ),
    ).toEqual({ accept: 20, reject: 0, ignore: 0 });
  });

  it('measures the clock offset as metrics `at` minus the local receive time', () => {
    const { m, clock } = model();
    m.handle(`${P}/gates/g1/metrics`, metrics(clock.t + 7_250, 1, 0, 0)); // gate clock 7.25 s ahead
    expect(m.snapshot().gates[0]!.clockOffsetMs).toBe(7250);
    m.handle(`${P}/gates/g1/metrics`, metrics(clock.t - 90_000, 1, 0, 0)); // 90 s behind
    expect(m.snapshot().gates[0]!.clockOffsetMs).toBe(-90_000);
  });

  it('reads retained status, the will, alarms from events, stale lists, and forgets a cleared status', () => {
    const { m, clock } = model();
    m.handle(
      `${P}/gates/a/status`,
      JSON.stringify({
        online: true,
        deviceId: 'a',
        at: clock.t,
        scanner: 'up',
        backlog: { unsettled: 0, oldestUnsettledAgeSec: null },
        alarms: [],
        lists: { trustKeys: 2, denyEntries: 1 },
      }),
    );
    m.handle(`${P}/gates/b/status`, JSON.stringify({ online: false, deviceId: 'b' }));
    m.handle(
      `${P}/gates/c/status`,
      JSON.stringify({ online: true, scanner: 'down', alarms: [], lists: { trust: { version: 7, stale: true } } }),
    );
    m.handle(
      `${P}/gates/a/events`,
      JSON.stringify({
        at: clock.t,
        kind: 'alarm',
        state: 'raised',
        alarm: 'backlog_age',
        value: 4000,
        threshold: 3600,
      }),
    );
    m.handle(`${P}/gates/a/events`, 'not json');
    m.handle(`${P}/gates/a/taps`, '{}'); // not monitored
    let s = m.snapshot();
    expect(s.gates.map((g) => [g.deviceId, g.online, g.scanner, g.alarms, g.listsStale, g.attention])).toEqual([
      ['a', true, 'up', ['backlog_age'], false, true],
      ['b', false, null, [], false, true],
      ['c', true, 'down', [], true, true],
    ]);
    expect(s.malformed).toBe(1);
    expect(s.gates[0]!.lastEvent).toMatchObject({ kind: 'alarm', detail: 'backlog_age raised' });
    m.handle(
      `${P}/gates/a/events`,
      JSON.stringify({ at: clock.t, kind: 'alarm', state: 'cleared', alarm: 'backlog_age' }),
    );
    m.handle(`${P}/gates/b/status`, '');
    s = m.snapshot();
    expect(s.gates.map((g) => g.deviceId)).toEqual(['a', 'c']);
    expect(s.gates[0]!.alarms).toEqual([]);
    expect(hasStaleFlag({ deny: { version: 3, stale: false } })).toBe(false);
  });

  it('renders one row per gate, colour only when asked', () => {
    const { m, clock } = model();
    m.handle(`${P}/gates/a/status`, JSON.stringify({ online: false }));
    m.handle(`${P}/gates/z/metrics`, metrics(clock.t, 1, 0, 0, { alarms: ['upload_failing'] }));
    const plain = renderFleet(m.snapshot(), { color: false }).join('\n');
    expect(plain).toContain('OFFLINE');
    expect(plain).toContain('upload_failing');
    expect(plain).not.toContain('\x1b[');
    expect(renderFleet(m.snapshot(), { color: true }).join('\n')).toContain('\x1b[31m');
    expect(listsText({ trust: { version: 12, stale: true }, denyEntries: 4 })).toBe('trust v12 STALE denyEntries=4');
  });

  it('shows a cleanly stopped gate OFFLINE with its last backlog, alarms and place', () => {
    const { m, clock } = model();
    const last = { deviceId: 'g1', at: clock.t, mode: 'bus', place: 'route-7', direction: 'board', scanner: 'stopped' };
    m.handle(
      `${P}/gates/g1/status`,
      JSON.stringify({
        online: false,
        ...last,
        backlog: { unsettled: 72, oldestUnsettledAgeSec: 900 },
        alarms: ['backlog_count'],
      }),
    );
    const g = m.snapshot().gates[0]!;
    expect(g).toMatchObject({
      online: false,
      place: 'route-7',
      scanner: 'stopped',
      backlog: { unsettled: 72, oldestUnsettledAgeSec: 900 },
      alarms: ['backlog_count'],
      attention: true,
    });
    const row = renderFleet(m.snapshot(), { color: false }).find((l) => l.startsWith('g1'))!;
    expect(row).toMatch(/^g1\s+OFFLINE\s+stopped\s+72\s+15m/);
  });

  it('keeps the figures it last saw for a gate whose will arrives (unclean loss)', () => {
    const { m, clock } = model();
    const up = { online: true, deviceId: 'g2', at: clock.t, mode: 'metro', place: 'central', scanner: 'up' };
    m.handle(
      `${P}/gates/g2/status`,
      JSON.stringify({ ...up, backlog: { unsettled: 5, oldestUnsettledAgeSec: 30 }, alarms: [] }),
    );
    m.handle(`${P}/gates/g2/status`, JSON.stringify({ online: false, deviceId: 'g2' }));
    const g = m.snapshot().gates[0]!;
    expect(g).toMatchObject({
      online: false,
      place: 'central',
      mode: 'metro',
      scanner: null,
      backlog: { unsettled: 5 },
    });
    expect(renderFleet(m.snapshot(), { color: false }).find((l) => l.startsWith('g2'))).toMatch(
      /^g2\s+OFFLINE\s+-\s+5\s/,
    );
  });
});

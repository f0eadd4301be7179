/**
 * The one event path (EventOutbox) and alarm path (AlarmBoard) in process: events go out at once
 * when connected; offline (or when a publish fails) they are queued up to the limit, the oldest
 * dropped and counted, and go out in order on reconnect; an alarm is logged, published and
 * announced to the status once per raise and clear.
 */
import { describe, expect, it } from 'vitest';
import { AlarmBoard } from '../../src/fleet/alarms.ts';
import { EventOutbox, MAX_QUEUED_EVENTS } from '../../src/fleet/events.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';

const ev = (n: number) => ({ at: n, kind: 'test', n });

describe('one event path', () => {
  it('publishes when connected; queues offline, drops the oldest beyond the limit, sends the rest on reconnect', async () => {
    const broker = new MemoryBroker();
    const link = new MemoryMqttLink(broker, 'g1');
    const out = new EventOutbox(link, 3);
    const sent = () => (broker.messages(link.topics.events) as { n: number }[]).map((e) => e.n);
    out.event(ev(0)); // never connected yet: kept
    link.connect();
    expect(sent()).toEqual([0]);
    out.event(ev(1));
    await Promise.resolve();
    expect(sent()).toEqual([0, 1]);
    link.disconnect();
    for (let i = 2; i <= 6; i++) out.event(ev(i));
    expect([out.queued, out.dropped]).toEqual([3, 2]);
    link.connect();
    expect(sent()).toEqual([0, 1, 4, 5, 6]);
    expect(out.queued).toBe(0);
  });

  it('an event whose publish fails is kept for the next connection', async () => {
    const broker = new MemoryBroker();
    const link = new MemoryMqttLink(broker, 'g1');
    link.connect();
    const out = new EventOutbox(link);
    link.failPublishes = true;
    out.event(ev(7));
    await new Promise((r) => setImmediate(r));
    expect(out.queued).toBe(1);
    link.failPublishes = false;
    link.disconnect();
    link.connect();
    expect(broker.messages(link.topics.events)).toEqual([ev(7)]);
  });

  it('without a broker at all, events are bounded the same way', () => {
    const out = new EventOutbox(undefined);
    for (let i = 0; i < MAX_QUEUED_EVENTS + 5; i++) out.event(ev(i));
    expect([out.queued, out.dropped]).toEqual([MAX_QUEUED_EVENTS, 5]);
  });
});

describe('one alarm path', () => {
  it('raises once, re-announces for a new key, updates silently, clears once', () => {
    const broker = new MemoryBroker();
    const link = new MemoryMqttLink(broker, 'g1');
    link.connect();
    const log = captureLogger();
    let status = 0;
    let t = 1000;
    const board = new AlarmBoard({
      events: new EventOutbox(link),
      logger: log,
      clock: { now: () => t },
      statusChanged: () => void status++,
    });
    expect(board.raise('backlog_count', { value: 10, threshold: 5 })).toBe(true);
    t = 2000;
    expect(board.raise('backlog_count', { value: 11, threshold: 5 })).toBe(false);
    expect(board.active()).toEqual([{ alarm: 'backlog_count', since: 1000, fields: { value: 11, threshold: 5 } }]);
    expect(board.raise('lists_stale', { lists: ['deny'] }, 'deny')).toBe(true);
    expect(board.raise('lists_stale', { lists: ['trust', 'deny'] }, 'trust,deny')).toBe(true);
    expect(board.active().find((a) => a.alarm === 'lists_stale')?.since).toBe(2000);
    expect(board.clear('backlog_count', { value: 0, threshold: 5 })).toBe(true);
    expect(board.clear('backlog_count')).toBe(false);
    expect(board.isActive('backlog_count')).toBe(false);
    expect(broker.messages(link.topics.events)).toEqual([
      { at: 1000, kind: 'alarm', state: 'raised', alarm: 'backlog_count', value: 10, threshold: 5 },
      { at: 2000, kind: 'alarm', state: 'raised', alarm: 'lists_stale', lists: ['deny'] },
      { at: 2000, kind: 'alarm', state: 'raised', alarm: 'lists_stale', lists: ['trust', 'deny'] },
      { at: 2000, kind: 'alarm', state: 'cleared', alarm: 'backlog_count', value: 0, threshold: 5 },
    ]);
    expect(status).toBe(4);
    expect(log.lines.map((l) => [l.level, l.msg, l.alarm])).toEqual([
      ['warn', 'alarm raised', 'backlog_count'],
      ['warn', 'alarm raised', 'lists_stale'],
      ['warn', 'alarm raised', 'lists_stale'],
      ['info', 'alarm cleared', 'backlog_count'],
    ]);
  });
});

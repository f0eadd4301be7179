import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../support/memoryMqtt.ts';
import { makeRider } from '../support/riders.ts';
import { ManualClock } from '../service/inProcess.ts';
import { groupGate, groupKeys, until, type GroupGate } from './groupHarness.ts';

const started: GroupGate[] = [];
async function start(...gates: GroupGate[]): Promise<void> {
  for (const g of gates) {
    await g.svc.start();
    started.push(g);
  }
}
afterEach(async () => {
  for (const g of started.splice(0).reverse()) await g.svc.stop();
});

const last = (g: GroupGate) => g.outcomes.at(-1)!;

describe('shared replay memory within a group (in process, memory broker)', () => {
  it('a code accepted at gate 1 and shown at gate 2 a second later is refused replay there', async () => {
    const broker = new MemoryBroker();
    const keys = groupKeys(['gate-1', 'gate-2']);
    const clock = new ManualClock();
    const g1 = groupGate(broker, keys, 'gate-1', { clock });
    const g2 = groupGate(broker, keys, 'gate-2', { clock });
    await start(g1, g2);
    const rider = makeRider();
    const code = rider.code(Math.floor(clock.now() / 1000));
    g1.scanner.feed(code);
    expect(last(g1).decision).toBe('accept');
    await until(() => g2.svc.replayShare!.stats.merged === 1, 2000, 'gate 2 to merge');
    clock.advance(1000);
    g2.scanner.feed(code);
    expect(last(g2)).toMatchObject({ decision: 'reject', reason: 'replay' });
    // Gate 1 still calls its own re-read of the phone a duplicate (ignored), as before.
    g1.scanner.feed(code);
    expect(last(g1)).toMatchObject({ decision: 'ignore', reason: 'duplicate' });
  });

  it('the same account with a new code at gate 2 within the duplicate window is ignored, later accepted', async () => {
    const broker = new MemoryBroker();
    const keys = groupKeys(['gate-1', 'gate-2']);
    const clock = new ManualClock();
    const g1 = groupGate(broker, keys, 'gate-1', { clock });
    const g2 = groupGate(broker, keys, 'gate-2', { clock });
    await start(g1, g2);
    const rider = makeRider();
    g1.scanner.feed(rider.code(Math.floor(clock.now() / 1000)));
    expect(last(g1).decision).toBe('accept');
    await until(() => g2.svc.replayShare!.stats.merged === 1);
    clock.advance(1000);
    g2.scanner.feed(rider.code(Math.floor(clock.now() / 1000)));
    expect(last(g2)).toMatchObject({ decision: 'ignore', reason: 'duplicate' });
    clock.advance(3000); // past the duplicate window (3 s)
    g2.scanner.feed(rider.code(Math.floor(clock.now() / 1000)));
    expect(last(g2).decision).toBe('accept');
  });

  it('offline gates decide alone; queued announcements are sent on reconnect and merged', async () => {
    const broker = new MemoryBroker();
    const keys = groupKeys(['gate-1', 'gate-2']);
    const clock = new ManualClock();
    const g1 = groupGate(broker, keys, 'gate-1', { clock });
    const g2 = groupGate(broker, keys, 'gate-2', { clock });
    await start(g1, g2);
    g1.link.disconnect();
    const a = makeRider().code(Math.floor(clock.now() / 1000));
    g1.scanner.feed(a);
    expect(last(g1).decision).toBe('accept');
    await until(() => g1.svc.replayShare!.stats.queued === 1);
    // Gate 2 keeps deciding alone, and has heard nothing yet.
    g2.scanner.feed(makeRider().code(Math.floor(clock.now() / 1000)));
    expect(last(g2).decision).toBe('accept');
    expect(g2.svc.replayShare!.stats.merged).toBe(0);
    g1.link.connect();
    await until(() => g2.svc.replayShare!.stats.merged === 1, 2000, 'the queued announcement');
    expect(g1.svc.replayShare!.stats).toMatchObject({ queued: 0, announced: 1 });
    clock.advance(1000);
    g2.scanner.feed(a);
    expect(last(g2)).toMatchObject({ decision: 'reject', reason: 'replay' });
  });

  it('the offline queue is bounded: beyond maxQueued the oldest announcements are dropped and counted', async () => {
    const broker = new MemoryBroker();
    const keys = groupKeys(['gate-1', 'gate-2']);
    const clock = new ManualClock();
    const g1 = groupGate(broker, keys, 'gate-1', { clock, group: { maxQueued: 2 } });
    const g2 = groupGate(broker, keys, 'gate-2', { clock });
    await start(g1, g2);
    g1.link.disconnect();
    const codes = [makeRider(), makeRider(), makeRider()].map((r) => r.code(Math.floor(clock.now() / 1000)));
    g1.scanner.feed(...codes);
    expect(g1.outcomes.map((o) => o.decision)).toEqual(['accept', 'accept', 'accept']);
    expect(g1.svc.replayShare!.stats).toMatchObject({ queued: 2, droppedQueued: 1 });
    g1.link.connect();
    await until(() => g2.svc.replayShare!.stats.merged === 2);
    clock.advance(1000);
    g2.scanner.feed(codes[0]!, codes[1]!, codes[2]!);
    expect(g2.outcomes.map((o) => o.reason ?? o.decision)).toEqual(['accept', 'replay', 'replay']);
  });

  it('a gate of another group does not share: the same code is accepted there', async () => {
    const broker = new MemoryBroker();
    const keys = groupKeys(['gate-1', 'gate-9']);
    const clock = new ManualClock();
    const g1 = groupGate(broker, keys, 'gate-1', { clock });
    const g9 = groupGate(broker, keys, 'gate-9', { clock, groupId: 'station-9' });
    await start(g1, g9);
    const code = makeRider().code(Math.floor(clock.now() / 1000));
    g1.scanner.feed(code);
    await until(() => g1.svc.replayShare!.stats.announced === 1);
    clock.advance(1000);
    g9.scanner.feed(code);
    expect(last(g9).decision).toBe('accept');
    expect(g9.svc.replayShare!.stats.merged).toBe(0);
  });
});

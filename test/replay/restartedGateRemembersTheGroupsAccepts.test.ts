/**
 * A gate that heard a code accepted at the next gate still refuses the screenshot as `replay`
 * after a restart: whole ValidatorServices in process (memory broker, fake scanner, manual
 * clock), gate 2 rebuilt on its own data folder after a clean stop, and after a crash (the old
 * service never stopped: only what was written to its store survives). The real-process SIGKILL
 * case is in screenshotAcrossTwoGateProcessesOverMosquitto.test.ts.
 */
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
  for (const g of started.splice(0).reverse()) await g.svc.stop().catch(() => undefined);
});

const last = (g: GroupGate) => g.outcomes.at(-1)!;

/** Gate 1 accepts a code and gate 2 merges it and keeps it in its store. */
async function heardAtGate2() {
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
  await until(() => g2.svc.groupAccepts.written === 1, 2000, 'gate 2 to keep the entry');
  return { broker, keys, clock, g1, g2, rider, code };
}

describe('a restarted gate remembers what it heard from its group', () => {
  it('after a clean stop and start on the same store, the screenshot at gate 2 is refused replay', async () => {
    const { broker, keys, clock, g2, rider, code } = await heardAtGate2();
    await g2.svc.stop();
    started.splice(started.indexOf(g2), 1);
    const again = groupGate(broker, keys, 'gate-2', { clock, dataDir: g2.dataDir });
    await start(again);
    expect(again.log.lines.find((l) => l.msg === 'validator starting')).toMatchObject({ restoredGroupAccepts: 1 });
    clock.advance(1000);
    again.scanner.feed(code);
    expect(last(again)).toMatchObject({ decision: 'reject', reason: 'replay' });
    // The account's time came back too: another code of the rider within the window is ignored.
    again.scanner.feed(rider.code(Math.floor(clock.now() / 1000)));
    expect(last(again)).toMatchObject({ decision: 'ignore', reason: 'duplicate' });
  });

  it('after a crash (never stopped), what reached the store is merged back before the first frame', async () => {
    const { broker, keys, clock, g2, code } = await heardAtGate2();
    g2.link.disconnect(); // gone from the broker, never stopped: no flush at stop, no clean close
    started.splice(started.indexOf(g2), 1);
    const again = groupGate(broker, keys, 'gate-2', { clock, dataDir: g2.dataDir });
    again.scanner.pending.push(code); // waiting in the scanner: read right after it opens
    await start(again);
    await until(() => again.outcomes.length === 1, 2000, 'the first frame');
    expect(last(again)).toMatchObject({ decision: 'reject', reason: 'replay' });
  });

  it('entries older than the replay retention are not merged back, and the housekeeping prunes them', async () => {
    const { broker, keys, clock, g2 } = await heardAtGate2();
    await g2.svc.stop();
    started.splice(started.indexOf(g2), 1);
    clock.advance((g2.svc.validator.replay.retention + 10) * 1000);
    const again = groupGate(broker, keys, 'gate-2', { clock, dataDir: g2.dataDir });
    await start(again);
    expect(again.log.lines.find((l) => l.msg === 'validator starting')).toMatchObject({ restoredGroupAccepts: 0 });
    expect(again.svc.validator.replay.size).toBe(0);
    const kept = again.svc.store.database.prepare('SELECT count(*) FROM group_accepts').pluck().get();
    expect(kept).toBe(0);
  });
});

/**
 * TapProcessor in process (src/service/tapProcessor.ts): a real SQLite TapStore in a temp dir, the
 * real GateDispatcher with a gate driver that records what it is told (and what the store held at
 * that moment), a manual clock and the FG1 format with the test issuer. The tap is committed before
 * the gate opens and before the code enters the replay memory; a store failure keeps the gate shut
 * (and opens it in a free pass); duplicates are silent; refusals are counted, logged and kept as
 * events with their reason and number; junk lines follow the mode rules.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOW, rideCode } from '../support/fixtures.ts';
import { busSettings, makeRig, ManualClock, metroSettings, Rider, type Rig } from '../admission/tapRig.ts';

const clock = new ManualClock();
const T = NOW * 1000;
const ALICE = 'a1b2c3d4e5f60718';
const alice = new Rider(ALICE, { profile: 1 });
const bob = new Rider('0102030405060708');
let rig: Rig;
let store: Rig['store'];
let seq = 0;

function use(r: Rig): void {
  rig = r;
  store = r.store;
}
const signals = () => rig.driver.told.map((t) => t.signal);

beforeEach(() => {
  clock.ms = T;
  use(makeRig(busSettings(), { clock }));
});
afterEach(() => rig.close());

describe('an accepted code', () => {
  it('is committed before the gate opens, with its fare, and counted once', async () => {
    const o = rig.processor.handleFrame(alice.code(clock));
    await rig.gate.idle();
    expect(o).toMatchObject({ decision: 'accept', reasonNumber: 0, message: 'go', at: T });
    expect(o.tap).toMatchObject({ deviceId: 'gate-1', sub: ALICE, profile: 1, fare: 100, currency: 'CNY' });
    const tapId = o.tap!.id;
    const opened = { action: 'open', message: 'go', text: 'OK', tapId, fare: 100 };
    expect(rig.driver.told).toEqual([{ signal: opened, tapInStore: true, tapsInStore: 1 }]);
    expect(store.tap(tapId)).toMatchObject({ fare: 100, settled: false });
    expect(rig.processor.counters).toMatchObject({ accept: 1, reject: 0, ignore: 0, byReason: {} });
    expect(rig.outcomes).toEqual([o]);
    const line = rig.log.lines.find((l) => l.msg === 'accept');
    expect(line).toMatchObject({ decision: 'accept', tapId, codeId: o.tap!.codeId, sub: ALICE, fare: 100 });
  });

  it('enters the replay memory after the commit: the same code is a silent duplicate, later a replay', async () => {
    const text = alice.code(clock);
    rig.processor.handleFrame(text);
    clock.ms += 1000;
    const again = rig.processor.handleFrame(text);
    expect(again).toMatchObject({ decision: 'ignore', reason: 'duplicate', reasonNumber: 16, message: 'silent' });
    clock.ms += 5000;
    const replay = rig.processor.handleFrame(text);
    expect(replay).toMatchObject({ decision: 'reject', reason: 'replay', reasonNumber: 17, message: 'refresh_code' });
    // The duplicate told the gate nothing; the replay was turned away.
    expect(await rig.answers()).toEqual(['open go', 'reject refresh_code']);
    expect(store.counts().taps).toBe(1);
    const byReason = { duplicate: 1, replay: 1 };
    expect(rig.processor.counters).toMatchObject({ accept: 1, reject: 1, ignore: 1, byReason });
    expect(rig.log.lines.find((l) => l.msg === 'ignore')).toMatchObject({ level: 'debug', reason: 'duplicate' });
    expect(store.events().map((e) => `${e.kind} ${e.reason}`)).toEqual(['reject replay', 'ignore duplicate']);
  });
});

describe('a store that cannot take the tap', () => {
  const breakStore = () => store.database.pragma('query_only = 1');
  const mendStore = () => store.database.pragma('query_only = 0');

  it('keeps the gate shut: refused store_unavailable (23), nothing remembered, an event kept', async () => {
    const text = alice.code(clock);
    breakStore();
    const o = rig.processor.handleFrame(text);
    await rig.gate.idle();
    const refusal = { decision: 'reject', reason: 'store_unavailable', reasonNumber: 23, message: 'see_staff' };
    expect(o).toMatchObject(refusal);
    expect(o.tap).toBeUndefined();
    expect(o.detail).toMatch(/readonly/);
    expect(signals()).toEqual([{ action: 'reject', message: 'see_staff', text: 'Please see staff' }]);
    expect(rig.processor.counters).toMatchObject({ accept: 0, reject: 1, byReason: { store_unavailable: 1 } });
    const codeId = o.token!.codeId;
    const err = rig.log.lines.find((l) => l.level === 'error');
    expect(err).toMatchObject({ msg: 'accepted code could not be recorded: gate stays shut', codeId });
    mendStore();
    expect(store.events()).toEqual([{ at: T, kind: 'store_error', reason: 'store_unavailable', codeId }]);
    // The code never entered the replay memory: once the store mends, the same code is a ride.
    clock.ms += 5000;
    expect(rig.processor.handleFrame(text)).toMatchObject({ decision: 'accept' });
  });

  it('opens the gate all the same during a free pass (evacuation)', async () => {
    rig.policy.modes.set('free_pass', true, clock.now(), 'test');
    breakStore();
    const o = rig.processor.handleFrame(alice.code(clock));
    await rig.gate.idle();
    mendStore();
    expect(o).toMatchObject({ decision: 'reject', reason: 'store_unavailable', freePass: true });
    expect(signals()).toEqual([{ action: 'open', message: 'go', text: 'OK' }]);
  });
});

describe('refusals: one path, one reason with its number', () => {
  it('a token refusal: counted, logged, kept as an event with the code and account; the gate says why', async () => {
    const o = rig.processor.handleFrame(rideCode({ ts: NOW - 3600, seq: ++seq }).text);
    await rig.gate.idle();
    expect(o).toMatchObject({ decision: 'reject', reason: 'code_expired', reasonNumber: 13, message: 'refresh_code' });
    expect(signals()).toEqual([{ action: 'reject', message: 'refresh_code', text: 'Please refresh your ride code' }]);
    const event = { at: T, kind: 'reject', reason: 'code_expired', codeId: o.token!.codeId, sub: ALICE };
    expect(store.events()).toEqual([event]);
    const line = rig.log.lines.find((l) => l.msg === 'reject');
    expect(line).toMatchObject({ level: 'info', decision: 'reject', reason: 'code_expired' });
  });

  it('out of service: refused out_of_service (20) without decoding; no code in the event', async () => {
    rig.policy.modes.set('out_of_service', true, clock.now(), 'test');
    const o = rig.processor.handleFrame(alice.code(clock));
    await rig.gate.idle();
    expect(o).toEqual({ decision: 'reject', reason: 'out_of_service', reasonNumber: 20, message: 'see_staff', at: T });
    const text = 'Out of service: please use another gate';
    expect(signals()).toEqual([{ action: 'reject', message: 'see_staff', text }]);
    expect(store.events()).toEqual([{ at: T, kind: 'reject', reason: 'out_of_service' }]);
    expect(store.counts().taps).toBe(0);
    expect(rig.processor.counters.byReason).toEqual({ out_of_service: 1 });
  });

  it('metro anti-passback: a committed entry refuses the same account again (21), nothing committed', async () => {
    rig.close();
    use(makeRig(metroSettings('in'), { clock }));
    const first = rig.processor.handleFrame(alice.code(clock));
    clock.ms += 30_000;
    const again = rig.processor.handleFrame(alice.code(clock));
    expect(first).toMatchObject({ decision: 'accept', tap: { mode: 'metro', direction: 'in', place: 'station-12' } });
    expect(first.tap!.fare).toBeUndefined();
    const detail = 'entered here 30 s ago (window 600 s)';
    expect(again).toMatchObject({ decision: 'reject', reason: 'anti_passback', reasonNumber: 21, detail });
    expect(store.counts().taps).toBe(1);
    expect(await rig.answers()).toEqual(['open go', 'reject see_staff']);
    expect(rig.log.lines.find((l) => l.reason === 'anti_passback')).toMatchObject({ detail });
    expect(store.events()[0]).toMatchObject({ kind: 'reject', reason: 'anti_passback', sub: ALICE });
  });

  it('stale lists under the reject policy (22); under the flag policy the tap carries stale_lists', () => {
    let freshness: 'stale_flag' | 'stale_reject' = 'stale_reject';
    rig.close();
    use(makeRig(busSettings(), { clock, lists: { freshness: () => freshness } }));
    const refused = rig.processor.handleFrame(alice.code(clock));
    expect(refused).toMatchObject({ decision: 'reject', reason: 'lists_stale', reasonNumber: 22 });
    freshness = 'stale_flag';
    const o = rig.processor.handleFrame(bob.code(clock));
    expect(o.tap).toMatchObject({ flags: ['stale_lists'] });
    expect(store.tap(o.tap!.id)!.flags).toEqual(['stale_lists']);
    expect(rig.processor.counters.byReason).toEqual({ lists_stale: 1 });
  });

  it('free pass: a valid code is a tap with fare 0 flagged free_pass; an invalid one opens too', async () => {
    rig.policy.modes.set('free_pass', true, clock.now(), 'test');
    const valid = rig.processor.handleFrame(alice.code(clock));
    const invalid = rig.processor.handleFrame('NOT-A-RIDE-CODE');
    expect(valid).toMatchObject({ decision: 'accept', freePass: true, tap: { fare: 0, flags: ['free_pass'] } });
    expect(invalid).toMatchObject({ decision: 'reject', reason: 'malformed', reasonNumber: 1, freePass: true });
    expect(await rig.answers()).toEqual(['open go', 'open go']);
    expect(rig.log.lines.find((l) => l.msg === 'reject')).toMatchObject({ reason: 'malformed', freePass: true });
  });
});

describe('junk lines from the scanner', () => {
  it.each([
    ['in service', undefined, 'reject scan_again', 'malformed'],
    ['in a free pass', 'free_pass', 'open go', 'malformed'],
    ['out of service', 'out_of_service', 'reject see_staff', 'out_of_service'],
  ] as const)('%s: answered like a malformed frame (%s), no tap', async (_name, mode, answer, reason) => {
    if (mode) rig.policy.modes.set(mode, true, clock.now(), 'test');
    const o = rig.processor.handleDropped('noise', 12, 'terminator');
    const frame = rig.processor.handleFrame('hello, not a ride code');
    expect(await rig.answers()).toEqual([answer, answer]);
    expect(o).toMatchObject({ decision: 'reject', reason });
    expect(frame).toMatchObject({ decision: 'reject', reason });
    expect(store.counts().taps).toBe(0);
    expect(rig.processor.counters.dropped).toEqual({ noise: 1 });
    expect(rig.log.lines.find((l) => l.dropped === 'noise')).toMatchObject({ reason: 'malformed', answered: true });
  });

  it('a drop the rider did not make stays silent: counted and kept, no answer', async () => {
    const o = rig.processor.handleDropped('noise', 3000, 'next_frame');
    expect(o).toBeUndefined();
    expect(await rig.answers()).toEqual([]);
    expect(rig.outcomes).toEqual([]);
    expect(store.events()).toEqual([{ at: T, kind: 'dropped', reason: 'malformed:noise' }]);
    expect(rig.processor.counters).toMatchObject({ reject: 1, byReason: { malformed: 1 }, dropped: { noise: 1 } });
  });
});

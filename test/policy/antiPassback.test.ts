/**
 * Metro gate policy, in process (test/admission/tapRig.ts, a real store in a temp dir):
 * anti-passback on an `in` gate (the same account entering again at this station within the
 * window is refused `anti_passback`, see staff, and nothing is committed; after the window it is
 * accepted; entries made during a free pass do not count); the entry memory is rebuilt from the
 * store when the gate restarts; on an `out` gate an exit with no entry in this store is accepted
 * and flagged `no_entry`, and an exit consumes its entry. The restart of the real process is
 * test/policy/entryMemorySurvivesRestart.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeRig, metroSettings, Rider, type Rig } from '../admission/tapRig.ts';

const WINDOW_S = 6;
const policy = { antiPassbackSeconds: WINDOW_S, maxJourneySeconds: 14_400 };
/** Duplicate window 1 s, so a second tap 1.5 s later reaches the anti-passback check. */
const QUICK = { token: { duplicateWindow: 1 } };
const alice = new Rider('a1a1a1a1a1a1a1a1');
const bob = new Rider('b0b0b0b0b0b0b0b0');
const carol = new Rider('c0c0c0c0c0c0c0c0');

let rig: Rig;
afterEach(() => rig.close());

function tap(r: Rider) {
  return rig.processor.handleFrame(r.code(rig.clock));
}

describe('metro in: anti-passback', () => {
  it('refuses a re-entry within the window (nothing committed), accepts it after the window', async () => {
    rig = makeRig(metroSettings('in', { policy }), QUICK);
    const first = tap(alice);
    expect(first).toMatchObject({ decision: 'accept', tap: { sub: alice.sub, direction: 'in', place: 'station-12' } });
    expect(first.tap!.fare).toBeUndefined(); // the backend prices metro journeys

    rig.clock.ms += 1500;
    const again = tap(alice);
    expect(again).toMatchObject({ decision: 'reject', reason: 'anti_passback', reasonNumber: 21 });
    expect(again.message).toBe('see_staff');
    // Another account is not affected.
    expect(tap(bob)).toMatchObject({ decision: 'accept' });
    expect(rig.store.allTaps().map((t) => t.sub)).toEqual([alice.sub, bob.sub]);

    rig.clock.ms += WINDOW_S * 1000 - 1500;
    expect(tap(alice)).toMatchObject({ decision: 'accept' });
    expect(await rig.answers()).toEqual(['open go', 'reject see_staff', 'open go', 'open go']);
    expect(rig.store.allTaps().every((t) => t.flags === undefined)).toBe(true);
  });

  it('an entry made during a free pass does not count', () => {
    rig = makeRig(metroSettings('in', { policy }), QUICK);
    rig.policy.modes.set('free_pass', true, rig.clock.now(), 'test');
    expect(tap(alice)).toMatchObject({ decision: 'accept', tap: { flags: ['free_pass'], fare: 0 } });
    rig.policy.modes.set('free_pass', false, rig.clock.now(), 'test');
    rig.clock.ms += 1500;
    expect(tap(alice)).toMatchObject({ decision: 'accept' });
    rig.clock.ms += 1500;
    expect(tap(alice)).toMatchObject({ decision: 'reject', reason: 'anti_passback' });
  });

  it('window 0 disables it', () => {
    rig = makeRig(metroSettings('in', { policy: { ...policy, antiPassbackSeconds: 0 } }), QUICK);
    tap(alice);
    rig.clock.ms += 1500;
    expect(tap(alice)).toMatchObject({ decision: 'accept' });
  });

  it('remembers entries across a restart (rebuilt from the tap store)', () => {
    rig = makeRig(metroSettings('in', { policy: { ...policy, antiPassbackSeconds: 600 } }));
    tap(alice);
    tap(bob);
    rig.clock.ms += 60_000;
    rig = rig.restart();
    expect(rig.policy.entries.size).toBe(2);
    expect(tap(bob)).toMatchObject({ decision: 'reject', reason: 'anti_passback' });
    expect(tap(carol)).toMatchObject({ decision: 'accept' });
    expect(rig.store.counts().taps).toBe(3);
  });
});

describe('metro out: exit matching', () => {
  it('an exit with an entry in this store is plain, one without is flagged no_entry; an exit consumes it', () => {
    // The same store, first an entry gate, then an exit gate at the same station (a reversible gate).
    rig = makeRig(metroSettings('in', { policy }), QUICK);
    tap(alice);
    rig.clock.ms += 600_000;
    rig = rig.restart(metroSettings('out', { policy }));
    const dave = new Rider('d0d0d0d0d0d0d0d0');
    expect(tap(alice)).toMatchObject({ decision: 'accept' });
    expect(tap(dave)).toMatchObject({ decision: 'accept', tap: { flags: ['no_entry'] } });
    rig.clock.ms += 5000;
    expect(tap(alice)).toMatchObject({ decision: 'accept', tap: { flags: ['no_entry'] } });
    const exits = rig.store.allTaps().filter((t) => t.direction === 'out');
    expect(exits.map((t) => [t.sub, t.flags ?? null, t.place])).toEqual([
      [alice.sub, null, 'station-12'],
      [dave.sub, ['no_entry'], 'station-12'],
      [alice.sub, ['no_entry'], 'station-12'],
    ]);
  });
});

/**
 * Metro gate policy through the real service process: anti-passback on an `in` gate (the same
 * account entering again at this station within the window is refused `anti_passback`, see
 * staff, and nothing is committed; after the window it is accepted); the entry memory survives
 * a restart (rebuilt from the tap store); on an `out` gate an exit with no entry in this store
 * is accepted and flagged `no_entry`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import { Harness } from '../commands/harness.ts';

const WINDOW_S = 6;
let h: Harness;
beforeAll(async () => {
  h = await Harness.start({
    mqtt: false,
    settings: {
      mode: 'metro',
      place: 'station-12',
      direction: 'in',
      fare: { currency: 'CNY' },
      // Duplicate window 1 s, so a second tap 1.5 s later reaches the anti-passback check.
      token: { duplicateWindow: 1 },
      policy: { antiPassbackSeconds: WINDOW_S },
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await killAllServices();
});

const alice = makeRider({ modes: 2 });
const bob = makeRider();
const carol = makeRider();

describe('metro anti-passback and exit matching', () => {
  it('refuses a re-entry within the window (nothing committed), accepts it after the window', async () => {
    const first = await h.scanAndGate(alice.code());
    const enteredAt = Date.now();
    expect(first.decision).toMatchObject({ decision: 'accept', sub: alice.sub });
    expect(first.decision.fare).toBeUndefined(); // the backend prices metro journeys
    expect(first.gate.action).toBe('open');

    await sleep(1500);
    const again = await h.scanAndGate(alice.code());
    expect(again.decision).toMatchObject({ decision: 'reject', reason: 'anti_passback', sub: alice.sub });
    expect(again.gate).toMatchObject({ action: 'reject', message: 'see_staff' });
    // Another account is not affected.
    expect(await h.scan(bob.code())).toMatchObject({ decision: 'accept', sub: bob.sub });
    expect(h.taps().map((t) => t.sub)).toEqual([alice.sub, bob.sub]);

    await sleep(Math.max(0, enteredAt + WINDOW_S * 1000 + 300 - Date.now()));
    expect(await h.scan(alice.code())).toMatchObject({ decision: 'accept', sub: alice.sub });
    expect(h.taps().filter((t) => t.sub === alice.sub).length).toBe(2);
    expect(h.taps().every((t) => t.direction === 'in' && t.place === 'station-12' && t.flags === null)).toBe(true);
  });

  it('remembers entries across a restart (rebuilt from the tap store)', async () => {
    h.settings = { ...h.settings, policy: { antiPassbackSeconds: 600 } };
    h.writeSettings();
    await h.restartService('SIGKILL');
    const restored = await h.svc.waitForLine((l) => l.msg === 'metro entries restored', 'entries restored');
    expect(restored.entriesRemembered).toBe(2);
    expect(await h.scan(bob.code())).toMatchObject({ decision: 'reject', reason: 'anti_passback', sub: bob.sub });
    expect(await h.scan(carol.code())).toMatchObject({ decision: 'accept', sub: carol.sub });
    expect(h.taps().length).toBe(4);
  }, 60_000);

  it('on an exit gate: an exit with an entry in this store is plain, one without is flagged no_entry', async () => {
    // The same store, now an exit gate at the same station (a reversible gate).
    h.settings = { ...h.settings, direction: 'out' };
    h.writeSettings();
    await h.restartService('SIGKILL');
    const dave = makeRider();
    const exitAlice = await h.scan(alice.code());
    expect(exitAlice).toMatchObject({ decision: 'accept', sub: alice.sub });
    expect(exitAlice.flags).toBeUndefined();
    const exitDave = await h.scanAndGate(dave.code());
    expect(exitDave.decision).toMatchObject({ decision: 'accept', sub: dave.sub, flags: ['no_entry'] });
    expect(exitDave.gate.action).toBe('open');
    // An exit consumes the entry: a second exit of the same account (after the duplicate window) is unmatched.
    await sleep(1100);
    expect(await h.scan(alice.code())).toMatchObject({ decision: 'accept', flags: ['no_entry'] });
    const exits = h.taps().filter((t) => t.direction === 'out');
    expect(exits.map((t) => [t.sub, t.flags, t.place])).toEqual([
      [alice.sub, null, 'station-12'],
      [dave.sub, '["no_entry"]', 'station-12'],
      [alice.sub, '["no_entry"]', 'station-12'],
    ]);
  }, 60_000);
});

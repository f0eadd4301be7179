/**
 * Bus fares through the real service process: a flat fare per fare profile from `fare.bus`
 * (a profile the table does not list pays the adult fare), capped by the credential's per-trip
 * cap; the fare is in the accept, at the gate and in the committed tap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRider } from '../support/riders.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import { Harness } from '../commands/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({
    mqtt: false,
    settings: { fare: { currency: 'CNY', bus: { adult: 200, child: 100, student: 120, senior: 0, disabled: 50 } } },
  });
});
afterAll(async () => {
  await h?.stop();
  await killAllServices();
});

describe('bus: flat fares by profile, capped per trip', () => {
  it.each([
    ['adult', { profile: 0 }, 200],
    ['no profile (adult)', {}, 200],
    ['child', { profile: 1 }, 100],
    ['student', { profile: 2 }, 120],
    ['senior', { profile: 3 }, 0],
    ['disabled', { profile: 4 }, 50],
    ['staff (not in the table: adult fare)', { profile: 5 }, 200],
    ['adult capped at 150', { profile: 0, cap: 150 }, 150],
    ['child with a cap above its fare', { profile: 1, cap: 150 }, 100],
    ['adult capped at 0', { profile: 0, cap: 0 }, 0],
  ] as const)('%s pays %i', async (_name, o, fare) => {
    const rider = makeRider(o);
    const r = await h.scanAndGate(rider.code());
    expect(r.decision).toMatchObject({ decision: 'accept', sub: rider.sub, fare });
    expect(r.gate).toMatchObject({ action: 'open', fare });
    const tap = h.taps().find((t) => t.id === r.decision.tapId);
    expect(tap).toMatchObject({ fare, direction: 'board', place: 'route-7', flags: null });
  });
});

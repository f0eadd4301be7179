/**
 * Bus fares, in process (test/admission/tapRig.ts): a flat fare per fare profile from `fare.bus`
 * (a profile the table does not list pays the adult fare), capped by the credential's per-trip
 * cap; the fare is in the accept, at the gate and in the committed tap (with the cap itself).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { busSettings, makeRig, Rider } from '../admission/tapRig.ts';

const fare = { currency: 'CNY', bus: { adult: 200, child: 100, student: 120, senior: 0, disabled: 50 } };
const rig = makeRig(busSettings({ fare }));
afterAll(() => rig.close());

let n = 0;
const account = () => (++n).toString(16).padStart(16, '0');

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
  ] as const)('%s pays %i', async (_name, claims, amount) => {
    const rider = new Rider(account(), claims);
    const o = rig.processor.handleFrame(rider.code(rig.clock));
    expect(o).toMatchObject({ decision: 'accept', tap: { sub: rider.sub, fare: amount } });
    await rig.gate.idle();
    expect(rig.driver.told.at(-1)!.signal).toMatchObject({ action: 'open', fare: amount, tapId: o.tap!.id });
    const tap = rig.store.tap(o.tap!.id);
    expect(tap).toMatchObject({ fare: amount, direction: 'board', place: 'route-7', currency: 'CNY' });
    expect(tap!.flags).toBeUndefined();
    // The credential's cap goes with the tap (stored, then sent) for the backend's pricing.
    expect(tap!.cap).toBe('cap' in claims ? claims.cap : undefined);
  });
});

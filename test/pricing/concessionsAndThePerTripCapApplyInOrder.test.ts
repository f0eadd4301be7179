/**
 * Concessions by profile (a percentage or an amount off), then transfers, then the credential's
 * per-trip cap, then the daily cap; a bus tap's own fare (already the validator's profile fare,
 * capped) is not discounted again.
 */
import { describe, expect, it } from 'vitest';
import { priceTaps } from '../../src/pricing/priceTaps.ts';
import { board, cst, fares, tapIn, tapOut } from './fareTestKit.ts';

const PROFILE = { adult: 0, child: 1, student: 2, senior: 3 } as const;
const concessions = fares({
  concessions: { child: { percentOff: 50 }, student: { amountOff: 150 }, senior: { percentOff: 100 } },
  transfers: [{ from: 'bus', to: 'metro', withinMinutes: 60, amountOff: 100 }],
  dailyCap: 1000,
});
const metroTrip = (profile: number, more = {}) => [
  tapIn(cst(2, '08:00'), 'st-1', { profile, ...more }),
  tapOut(cst(2, '08:30'), 'st-3', { profile, ...more }),
];

describe('concessions and the per-trip cap', () => {
  it.each([
    ['adult', PROFILE.adult, 400, []],
    ['child (50 % off)', PROFILE.child, 200, ['concession']],
    ['student (1.50 off)', PROFILE.student, 250, ['concession']],
    ['senior (100 % off)', PROFILE.senior, 0, ['concession']],
    ['a profile number this backend does not name (pays adult)', 9, 400, []],
  ])('%s pays its concession of a 4.00 journey', (_what, profile, net, flags) => {
    const [j] = priceTaps(metroTrip(profile), concessions).journeys;
    expect([j!.gross, j!.net, j!.flags]).toEqual([400, net, flags]);
  });

  it("the credential's per-trip cap lowers the fare after the concession, flagged capped_trip", () => {
    const [j] = priceTaps(metroTrip(PROFILE.child, { cap: 150 }), concessions).journeys;
    expect(j!.discounts).toEqual([
      { kind: 'concession', amount: 200 },
      { kind: 'trip_cap', amount: 50 },
    ]);
    expect([j!.net, j!.flags]).toEqual([150, ['concession', 'capped_trip']]);
  });

  it('a cap above the fare changes nothing', () => {
    const [j] = priceTaps(metroTrip(PROFILE.adult, { cap: 500 }), concessions).journeys;
    expect([j!.net, j!.flags]).toEqual([400, []]);
  });

  it('the order: concession, then transfer, then trip cap, then daily cap', () => {
    const r = priceTaps(
      [
        board(cst(2, '07:00'), '518', { profile: PROFILE.child }), // 300 → 150
        board(cst(2, '09:00'), '518', { profile: PROFILE.child }), // 150
        tapIn(cst(2, '09:30'), 'st-1', { profile: PROFILE.child, cap: 90 }), // 400 → 200 → 100 → cap 90
        tapOut(cst(2, '10:00'), 'st-3', { profile: PROFILE.child }),
      ],
      concessions,
    );
    expect(r.journeys.map((j) => j.net)).toEqual([150, 150, 90]);
    expect(r.journeys[2]!.discounts.map((d) => d.kind)).toEqual(['concession', 'transfer', 'trip_cap']);
  });

  it("a bus tap's own fare is the validator's profile fare: no second concession", () => {
    const [j] = priceTaps([board(cst(2, '08:00'), '518', { profile: PROFILE.child, fare: 100 })], concessions).journeys;
    expect([j!.gross, j!.net, j!.flags]).toEqual([100, 100, ['tap_fare']]);
    const priced = fares({
      bus: { useTapFare: false, default: 200, routes: {} },
      concessions: { child: { percentOff: 50 } },
    });
    const [k] = priceTaps([board(cst(2, '08:00'), '518', { profile: PROFILE.child, fare: 100 })], priced).journeys;
    expect([k!.gross, k!.net]).toEqual([200, 100]);
  });

  it('max fares get no concession but the per-trip cap holds', () => {
    const [j] = priceTaps([tapIn(cst(2, '08:00'), 'st-1', { profile: PROFILE.child, cap: 500 })], concessions).journeys;
    expect([j!.gross, j!.net, j!.flags]).toEqual([900, 500, ['max_fare_missing_exit', 'capped_trip']]);
  });
});

/**
 * Pricing is a pure function of the set of taps: any input order gives the same journeys; taps
 * of a gate that was offline for a week, added late, re-price their account's business day
 * exactly as if they had come on time. Properties: order independence, net ≥ 0, daily net ≤ cap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceTaps, type PricingTap } from '../../src/pricing/priceTaps.ts';
import { board, cst, fares, tapIn, tapOut } from './fareTestKit.ts';

const f = fares({
  dailyCap: 900,
  transfers: [
    { from: 'bus', to: 'metro', withinMinutes: 60, amountOff: 100 },
    { from: 'metro', to: 'bus', withinMinutes: 60, percentOff: 50 },
    { from: 'bus', to: 'bus', withinMinutes: 30, amountOff: 50 },
  ],
  concessions: { child: { percentOff: 50 }, student: { amountOff: 120 } },
});

describe('late taps', () => {
  it("a week-late gate's taps re-price the account's day exactly as taps on time would", () => {
    const onTime = [board(cst(2, '08:00')), board(cst(2, '12:00')), board(cst(2, '18:00'))];
    // The metro gate at st-1/st-3 was offline from 2 to 9 December; its taps arrive on the 9th.
    const late = [tapIn(cst(2, '08:20'), 'st-1'), tapOut(cst(2, '08:50'), 'st-3')];
    const firstRun = priceTaps(onTime, f);
    expect(firstRun.journeys.map((j) => j.net)).toEqual([300, 300, 300]);
    const rerun = priceTaps([...onTime, ...late], f);
    // the metro journey is a transfer from the 08:00 bus, and the day reaches the cap
    expect(rerun.journeys.map((j) => [j.mode, j.net])).toEqual([
      ['bus', 300],
      ['metro', 300],
      ['bus', 300],
      ['bus', 0],
    ]);
    expect(priceTaps([...late, ...onTime].reverse(), f)).toEqual(rerun);
  });

  it('taps delivered twice (a replayed batch) are priced once', () => {
    const taps = [tapIn(cst(2, '08:00'), 'st-1'), tapOut(cst(2, '08:30'), 'st-3')];
    const r = priceTaps([...taps, ...taps], f);
    expect(r.journeys.map((j) => j.net)).toEqual([400]);
    expect(r.flags.duplicate_id).toBe(2);
  });
});

const ACCOUNTS = ['aa', 'bb', 'cc'];
const STATIONS = ['st-1', 'st-2', 'st-3', 'st-9'];
const arbTap = fc
  .record({
    minute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
    kind: fc.constantFrom('board', 'in', 'out'),
    place: fc.constantFrom(...STATIONS, '518', '7'),
    sub: fc.constantFrom(...ACCOUNTS),
    profile: fc.integer({ min: 0, max: 6 }),
    fare: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
    cap: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
  })
  .map(({ minute, kind, place, sub, profile, fare, cap }) => {
    const at = cst(1, '00:00') + minute * 60_000;
    const more: Partial<PricingTap> = { sub, profile };
    if (cap !== undefined) more.cap = cap;
    if (kind === 'board') return board(at, place, fare === undefined ? more : { ...more, fare });
    return kind === 'in' ? tapIn(at, place, more) : tapOut(at, place, more);
  });

describe('pricing properties', () => {
  it('the same taps in any order price the same; every net is ≥ 0; no account-day pays more than the cap', () => {
    fc.assert(
      fc.property(
        fc
          .array(arbTap, { maxLength: 60 })
          .chain((taps) =>
            fc.tuple(fc.constant(taps), fc.shuffledSubarray(taps, { minLength: taps.length, maxLength: taps.length })),
          ),
        ([taps, shuffled]) => {
          const a = priceTaps(taps, f);
          const b = priceTaps(shuffled, f);
          expect(b).toEqual(a);
          const perDay = new Map<string, number>();
          for (const j of a.journeys) {
            expect(j.net).toBeGreaterThanOrEqual(0);
            expect(Number.isInteger(j.net)).toBe(true);
            expect(j.net).toBe(j.gross - j.discounts.reduce((s, d) => s + d.amount, 0));
            const key = `${j.account} ${j.day}`;
            perDay.set(key, (perDay.get(key) ?? 0) + j.net);
          }
          for (const paid of perDay.values()) expect(paid).toBeLessThanOrEqual(900);
          const tapsInJourneys = a.journeys.reduce((s, j) => s + j.legs.length, 0);
          expect(tapsInJourneys).toBe(taps.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

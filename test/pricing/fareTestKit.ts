/**
 * Taps and fare files for the fare-engine tests: one account's ride, written as plainly as a
 * table row. Times are Asia/Shanghai wall-clock (UTC+8, no daylight saving).
 */
import { parseFareFile, type FareFile, type FareFileInput } from '../../src/pricing/fareFile.ts';
import type { PricingTap } from '../../src/pricing/priceTaps.ts';

/** Unix ms of a Shanghai wall-clock time on December 2026: `cst(1, '08:15')` is 1 Dec 08:15 (+08:00). */
export function cst(day: number, hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return Date.UTC(2026, 11, day, h - 8, m);
}

/** A small network: zones A (st-1, st-2), B (st-3); a station pair st-1 ↔ st-9 priced alone. */
export const BASE_FARES: FareFileInput = {
  currency: 'CNY',
  exponent: 2,
  rounding: 'half_up',
  businessDay: { start: '04:30', timeZone: 'Asia/Shanghai' },
  bus: { useTapFare: true, default: 200, routes: { '518': 300 } },
  metro: {
    zones: { 'st-1': 'A', 'st-2': 'A', 'st-3': 'B' },
    zoneFares: [
      { zones: ['A', 'A'], amount: 300 },
      { zones: ['A', 'B'], amount: 400 },
      { zones: ['B', 'B'], amount: 300 },
    ],
    stationFares: [{ stations: ['st-1', 'st-9'], amount: 700 }],
    maxJourneyMinutes: 120,
    maxFare: { missingExit: 900, exitWithoutEntry: 800 },
    reEntry: { withinMinutes: 20, fee: 0 },
  },
  transfers: [],
  concessions: {},
};

/** BASE_FARES with some sections replaced, checked by the real schema. */
export function fares(over: Partial<FareFileInput> = {}): FareFile {
  return parseFareFile({ ...BASE_FARES, ...over });
}

let n = 0;
/** A tap of account `sub` (default `aa`); the id sorts by creation (as UUIDv7s do). */
export function tap(t: Partial<PricingTap> & Pick<PricingTap, 'at'>): PricingTap {
  n++;
  return {
    id: `tap-${String(n).padStart(6, '0')}`,
    deviceId: 'gate-1',
    mode: 'metro',
    place: 'st-1',
    direction: 'in',
    sub: 'aa',
    profile: 0,
    currency: 'CNY',
    ...t,
  };
}

export const board = (at: number, place = '518', more: Partial<PricingTap> = {}): PricingTap =>
  tap({ at, mode: 'bus', direction: 'board', place, ...more });
export const tapIn = (at: number, place: string, more: Partial<PricingTap> = {}): PricingTap =>
  tap({ at, mode: 'metro', direction: 'in', place, ...more });
export const tapOut = (at: number, place: string, more: Partial<PricingTap> = {}): PricingTap =>
  tap({ at, mode: 'metro', direction: 'out', place, ...more });

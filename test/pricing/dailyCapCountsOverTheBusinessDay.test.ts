/**
 * The daily cap: what an account pays in one business day (from 04:30 Asia/Shanghai to the next
 * 04:30) is at most the cap; a night ride after midnight but before 04:30 counts on the day
 * before, a ride at 04:30 on the new day.
 */
import { describe, expect, it } from 'vitest';
import { businessDayOf } from '../../src/pricing/businessDay.ts';
import { priceTaps } from '../../src/pricing/priceTaps.ts';
import { board, cst, fares, tapIn, tapOut } from './fareTestKit.ts';

const capped = fares({ dailyCap: 1000 });

describe('the daily cap', () => {
  it('caps the journey that crosses it and charges nothing after, flagged capped_daily', () => {
    const r = priceTaps(
      [
        tapIn(cst(2, '08:00'), 'st-1'),
        tapOut(cst(2, '08:30'), 'st-3'), // 400
        tapIn(cst(2, '12:00'), 'st-3'),
        tapOut(cst(2, '12:30'), 'st-1'), // 400
        tapIn(cst(2, '18:00'), 'st-1'),
        tapOut(cst(2, '18:30'), 'st-3'), // 400 → 200
        board(cst(2, '21:00')), // 300 → 0
      ],
      capped,
    );
    expect(r.journeys.map((j) => [j.gross, j.net])).toEqual([
      [400, 400],
      [400, 400],
      [400, 200],
      [300, 0],
    ]);
    expect(r.journeys[2]!.discounts).toEqual([{ kind: 'daily_cap', amount: 200 }]);
    expect(r.journeys[3]!.flags).toEqual(['capped_daily']);
    expect(r.flags.capped_daily).toBe(2);
  });

  it('crossing midnight but not 04:30: the same business day, the same cap', () => {
    const r = priceTaps(
      [
        board(cst(2, '22:00')),
        board(cst(2, '23:00')),
        board(cst(2, '23:30')),
        board(cst(3, '00:30')), // still 2 Dec's business day: 300 → 100
        board(cst(3, '04:29')), // still 2 Dec: 0
        board(cst(3, '04:30')), // 3 Dec: a new day
      ],
      capped,
    );
    expect(r.journeys.map((j) => [j.day, j.net])).toEqual([
      ['2026-12-02', 300],
      ['2026-12-02', 300],
      ['2026-12-02', 300],
      ['2026-12-02', 100],
      ['2026-12-02', 0],
      ['2026-12-03', 300],
    ]);
  });

  it('counts each account apart', () => {
    const taps = [0, 1, 2, 3].flatMap((i) => [
      board(cst(2, `1${i}:00`), '518', { sub: 'aa' }),
      board(cst(2, `1${i}:00`), '518', { sub: 'bb' }),
    ]);
    const r = priceTaps(taps, capped);
    const paid = (sub: string) => r.journeys.filter((j) => j.account === sub).reduce((s, j) => s + j.net, 0);
    expect([paid('aa'), paid('bb')]).toEqual([1000, 1000]);
  });

  it('the business day follows the configured zone and start', () => {
    const shanghai = businessDayOf('Asia/Shanghai', '04:30');
    expect(shanghai(Date.UTC(2026, 11, 2, 20, 29))).toBe('2026-12-02'); // 3 Dec 04:29 +08
    expect(shanghai(Date.UTC(2026, 11, 2, 20, 30))).toBe('2026-12-03'); // 3 Dec 04:30 +08
    const berlin = businessDayOf('Europe/Berlin', '03:00');
    // 29 March 2026: clocks go from 02:00 to 03:00 (UTC+1 → UTC+2)
    expect(berlin(Date.UTC(2026, 2, 29, 0, 59))).toBe('2026-03-28'); // 01:59 +01
    expect(berlin(Date.UTC(2026, 2, 29, 1, 0))).toBe('2026-03-29'); // 03:00 +02
    const midnight = businessDayOf('UTC', '00:00');
    expect(midnight(Date.UTC(2026, 0, 1))).toBe('2026-01-01');
  });
});

/**
 * Metro journeys: a rider's `in` and next `out` (any gates) priced by the station pair or the
 * zones; a missing exit and an exit without entry pay their max fares and are flagged; a
 * re-entry at the same station within minutes follows its rule.
 */
import { describe, expect, it } from 'vitest';
import { priceTaps } from '../../src/pricing/priceTaps.ts';
import { board, cst, fares, tapIn, tapOut, BASE_FARES } from './fareTestKit.ts';

describe('metro journeys', () => {
  it('pairs an entry and an exit at other gates and prices them by zone', () => {
    const r = priceTaps(
      [
        tapIn(cst(2, '08:00'), 'st-1', { deviceId: 'st-1-g3' }),
        tapOut(cst(2, '08:25'), 'st-3', { deviceId: 'st-3-g1' }),
      ],
      fares(),
    );
    expect(r.journeys).toHaveLength(1);
    expect(r.journeys[0]).toMatchObject({
      account: 'aa',
      mode: 'metro',
      from: 'st-1',
      to: 'st-3',
      start: cst(2, '08:00'),
      end: cst(2, '08:25'),
      day: '2026-12-02',
      gross: 400,
      net: 400,
      discounts: [],
      flags: [],
    });
    expect(r.journeys[0]!.legs.map((l) => [l.deviceId, l.direction])).toEqual([
      ['st-1-g3', 'in'],
      ['st-3-g1', 'out'],
    ]);
  });

  it('prices a station pair of the matrix before the zones, both ways', () => {
    const r = priceTaps(
      [
        tapIn(cst(2, '08:00'), 'st-9'),
        tapOut(cst(2, '08:30'), 'st-1'),
        tapIn(cst(2, '18:00'), 'st-1'),
        tapOut(cst(2, '18:30'), 'st-9'),
      ],
      fares(),
    );
    expect(r.journeys.map((j) => j.gross)).toEqual([700, 700]);
  });

  it('charges the max fare for an entry whose exit never comes, and flags it', () => {
    const r = priceTaps([tapIn(cst(2, '08:00'), 'st-1')], fares());
    expect(r.journeys).toEqual([
      expect.objectContaining({ from: 'st-1', to: undefined, end: undefined, gross: 900, net: 900 }),
    ]);
    expect(r.journeys[0]!.flags).toEqual(['max_fare_missing_exit']);
    expect(r.flags).toEqual({ max_fare_missing_exit: 1 });
  });

  it('an exit after the maximum journey time: the entry is a missing exit and the exit has no entry', () => {
    const r = priceTaps([tapIn(cst(2, '08:00'), 'st-1'), tapOut(cst(2, '10:01'), 'st-3')], fares());
    expect(r.journeys.map((j) => [j.from, j.to, j.net, j.flags])).toEqual([
      ['st-1', undefined, 900, ['max_fare_missing_exit']],
      [undefined, 'st-3', 800, ['exit_without_entry']],
    ]);
  });

  it('an exit exactly at the maximum journey time still closes the journey', () => {
    const r = priceTaps([tapIn(cst(2, '08:00'), 'st-1'), tapOut(cst(2, '10:00'), 'st-3')], fares());
    expect(r.journeys.map((j) => j.net)).toEqual([400]);
  });

  it('a second entry or a bus ride before the exit leaves the first entry without exit', () => {
    const r = priceTaps(
      [
        tapIn(cst(2, '08:00'), 'st-1'),
        tapIn(cst(2, '08:30'), 'st-2'),
        tapOut(cst(2, '08:50'), 'st-3'),
        tapIn(cst(2, '12:00'), 'st-3'),
        board(cst(2, '12:40')),
      ],
      fares(),
    );
    expect(r.journeys.map((j) => [j.mode, j.from, j.to, j.net])).toEqual([
      ['metro', 'st-1', undefined, 900],
      ['metro', 'st-2', 'st-3', 400],
      ['metro', 'st-3', undefined, 900],
      ['bus', '518', '518', 300],
    ]);
  });

  it('charges the exit-without-entry max fare and flags it', () => {
    const r = priceTaps([tapOut(cst(2, '09:00'), 'st-2')], fares());
    expect(r.journeys).toEqual([
      expect.objectContaining({ from: undefined, to: 'st-2', start: undefined, gross: 800, net: 800 }),
    ]);
    expect(r.flags).toEqual({ exit_without_entry: 1 });
  });

  it('an entry still within its journey time when the taps were read is open, not a missing exit', () => {
    const r = priceTaps([tapIn(cst(2, '08:00'), 'st-1')], fares(), { asOf: cst(2, '09:00') });
    expect(r.journeys).toEqual([]);
    expect(r.flags).toEqual({ open_entry: 1 });
    const later = priceTaps([tapIn(cst(2, '08:00'), 'st-1')], fares(), { asOf: cst(2, '10:01') });
    expect(later.journeys.map((j) => j.flags)).toEqual([['max_fare_missing_exit']]);
  });

  it('a re-entry at the same station within the window is free (or its fee), flagged; later it is a journey', () => {
    const taps = [
      tapIn(cst(2, '08:00'), 'st-1'),
      tapOut(cst(2, '08:20'), 'st-1'),
      tapIn(cst(2, '09:00'), 'st-1'),
      tapOut(cst(2, '09:21'), 'st-1'),
    ];
    const free = priceTaps(taps, fares());
    expect(free.journeys.map((j) => [j.net, j.flags])).toEqual([
      [0, ['re_entry']],
      [300, []],
    ]);
    const withFee = priceTaps(
      taps,
      fares({ metro: { ...BASE_FARES.metro, reEntry: { withinMinutes: 20, fee: 150 } } }),
    );
    expect(withFee.journeys.map((j) => j.net)).toEqual([150, 300]);
    const noRule = priceTaps(taps, fares({ metro: { ...BASE_FARES.metro, reEntry: undefined } }));
    expect(noRule.journeys.map((j) => j.net)).toEqual([300, 300]);
  });

  it('stations with no fare between them pay the unknown-pair max fare, flagged', () => {
    const r = priceTaps([tapIn(cst(2, '08:00'), 'st-3'), tapOut(cst(2, '08:30'), 'st-9')], fares());
    expect(r.journeys.map((j) => [j.net, j.flags])).toEqual([[900, ['no_fare_for_pair']]]);
  });

  it('taps of different accounts never pair', () => {
    const r = priceTaps(
      [tapIn(cst(2, '08:00'), 'st-1', { sub: 'aa' }), tapOut(cst(2, '08:20'), 'st-3', { sub: 'bb' })],
      fares(),
    );
    expect(r.journeys.map((j) => [j.account, j.flags])).toEqual([
      ['aa', ['max_fare_missing_exit']],
      ['bb', ['exit_without_entry']],
    ]);
  });

  it('a free-pass tap (evacuation) is not charged', () => {
    const r = priceTaps(
      [tapIn(cst(2, '08:00'), 'st-1', { flags: ['free_pass'] }), tapOut(cst(2, '08:20'), 'st-3')],
      fares(),
    );
    expect(r.journeys.map((j) => [j.net, j.flags])).toEqual([[0, ['free_pass']]]);
  });

  it('taps in another currency are not priced, and counted', () => {
    const r = priceTaps([tapIn(cst(2, '08:00'), 'st-1', { currency: 'HKD' })], fares());
    expect(r.journeys).toEqual([]);
    expect(r.flags).toEqual({ other_currency: 1 });
  });
});

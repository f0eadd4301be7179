/**
 * Transfer discounts (bus→metro, metro→bus, bus→bus): an amount or a percentage off the second
 * journey when it starts within the window from the previous journey's end; none outside it.
 */
import { describe, expect, it } from 'vitest';
import { priceTaps } from '../../src/pricing/priceTaps.ts';
import { board, cst, fares, tapIn, tapOut } from './fareTestKit.ts';

const withTransfers = fares({
  transfers: [
    { from: 'bus', to: 'metro', withinMinutes: 60, amountOff: 100 },
    { from: 'metro', to: 'bus', withinMinutes: 30, amountOff: 150 },
    { from: 'bus', to: 'bus', withinMinutes: 45, percentOff: 50 },
  ],
});

describe('transfer discounts', () => {
  it('bus → metro inside the window: the amount off the metro journey, flagged', () => {
    const r = priceTaps(
      [board(cst(2, '08:00')), tapIn(cst(2, '09:00'), 'st-1'), tapOut(cst(2, '09:30'), 'st-3')],
      withTransfers,
    );
    expect(r.journeys.map((j) => [j.mode, j.gross, j.net, j.flags])).toEqual([
      ['bus', 300, 300, []],
      ['metro', 400, 300, ['transfer']],
    ]);
    expect(r.journeys[1]!.discounts).toEqual([{ kind: 'transfer', amount: 100 }]);
  });

  it('bus → metro one minute outside the window: no discount', () => {
    const r = priceTaps(
      [board(cst(2, '08:00')), tapIn(cst(2, '09:01'), 'st-1'), tapOut(cst(2, '09:30'), 'st-3')],
      withTransfers,
    );
    expect(r.journeys.map((j) => j.net)).toEqual([300, 400]);
    expect(r.flags.transfer).toBeUndefined();
  });

  it('metro → bus: the window runs from the metro exit, not the entry', () => {
    const taps = (busAt: string) => [
      tapIn(cst(2, '08:00'), 'st-1'),
      tapOut(cst(2, '08:50'), 'st-3'),
      board(cst(2, busAt)),
    ];
    expect(priceTaps(taps('09:20'), withTransfers).journeys.map((j) => j.net)).toEqual([400, 150]);
    expect(priceTaps(taps('09:21'), withTransfers).journeys.map((j) => j.net)).toEqual([400, 300]);
  });

  it('bus → bus: a percentage off the second ride inside the window, none outside', () => {
    const r = priceTaps(
      [board(cst(2, '08:00'), '518'), board(cst(2, '08:45'), '7'), board(cst(2, '10:00'), '7')],
      withTransfers,
    );
    expect(r.journeys.map((j) => [j.from, j.net])).toEqual([
      ['518', 300],
      ['7', 100],
      ['7', 200],
    ]);
  });

  it('no rule for the pair of modes (metro → metro): no discount', () => {
    const r = priceTaps(
      [
        tapIn(cst(2, '08:00'), 'st-1'),
        tapOut(cst(2, '08:20'), 'st-3'),
        tapIn(cst(2, '08:25'), 'st-3'),
        tapOut(cst(2, '08:40'), 'st-1'),
      ],
      withTransfers,
    );
    expect(r.journeys.map((j) => j.net)).toEqual([400, 400]);
  });

  it('a missing exit is no first leg (its end is unknown) and a max fare gets no discount', () => {
    const r = priceTaps(
      [tapIn(cst(2, '08:00'), 'st-1'), board(cst(2, '08:10')), tapOut(cst(2, '08:20'), 'st-3')],
      withTransfers,
    );
    expect(r.journeys.map((j) => [j.net, j.flags])).toEqual([
      [900, ['max_fare_missing_exit']],
      [300, []],
      [800, ['exit_without_entry']],
    ]);
  });
});

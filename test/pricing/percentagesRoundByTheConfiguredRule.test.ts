/**
 * Integer minor units and explicit rounding: a percentage that leaves a fraction of a minor unit
 * is rounded half up, half to even, or down, as the fare file says; amounts are written with the
 * currency's exponent.
 */
import { describe, expect, it } from 'vitest';
import { afterPercentOff, decimal, money, roundDiv } from '../../src/pricing/money.ts';
import { priceTaps } from '../../src/pricing/priceTaps.ts';
import { board, cst, fares } from './fareTestKit.ts';

describe('rounding', () => {
  it.each([
    // n, d, half_up, half_even, down
    [5, 2, 3, 2, 2],
    [7, 2, 4, 4, 3],
    [10, 4, 3, 2, 2],
    [11, 4, 3, 3, 2],
    [9, 4, 2, 2, 2],
    [8, 4, 2, 2, 2],
  ])('%i / %i rounds to %i (half up), %i (half even), %i (down)', (n, d, up, even, down) => {
    expect([roundDiv(n, d, 'half_up'), roundDiv(n, d, 'half_even'), roundDiv(n, d, 'down')]).toEqual([up, even, down]);
  });

  it('a percentage off keeps the rest, rounded: 12.5 % off 3.00 leaves 2.625', () => {
    expect(afterPercentOff(300, 12.5, 'half_up')).toBe(263);
    expect(afterPercentOff(300, 12.5, 'half_even')).toBe(262);
    expect(afterPercentOff(300, 12.5, 'down')).toBe(262);
    expect(afterPercentOff(300, 0, 'down')).toBe(300);
    expect(afterPercentOff(300, 100, 'half_up')).toBe(0);
  });

  it.each([
    ['half_up', 263],
    ['half_even', 262],
    ['down', 262],
  ] as const)('the engine rounds a concession %s', (rounding, net) => {
    const f = fares({ rounding, concessions: { child: { percentOff: 12.5 } } });
    const [j] = priceTaps([board(cst(2, '08:00'), '518', { profile: 1 })], f).journeys;
    expect(j!.net).toBe(net);
  });

  it('writes minor units with the exponent', () => {
    expect(money(16000, 'CNY', 2)).toBe('160.00 CNY');
    expect(money(5, 'CNY', 2)).toBe('0.05 CNY');
    expect(money(0, 'CNY', 2)).toBe('0.00 CNY');
    expect(money(1500, 'JPY', 0)).toBe('1500 JPY');
    expect(money(1234, 'KWD', 3)).toBe('1.234 KWD');
    expect(decimal(-250, 2)).toBe('-2.50');
  });
});

/**
 * Integer money: minor units, explicit rounding of a percentage, and amounts written as currency
 * (`160.00 CNY`). Pure.
 */

/** How a fraction of a minor unit is rounded: half up (away from zero), half to even, or down (toward zero). */
export type Rounding = 'half_up' | 'half_even' | 'down';

/** `n / d` rounded to a whole number by `rule` (n ≥ 0, d > 0, both whole and below 2^53). */
export function roundDiv(n: number, d: number, rule: Rounding): number {
  const q = Math.floor(n / d);
  const r = n - q * d;
  if (r === 0 || rule === 'down') return q;
  const twice = 2 * r;
  if (twice > d) return q + 1;
  if (twice < d) return q;
  return rule === 'half_up' ? q + 1 : q % 2 === 0 ? q : q + 1;
}

/** What remains of `amount` after `percentOff` percent (two decimals at most), rounded by `rule`. */
export function afterPercentOff(amount: number, percentOff: number, rule: Rounding): number {
  const keepBasisPoints = 10_000 - Math.round(percentOff * 100);
  return roundDiv(amount * keepBasisPoints, 10_000, rule);
}

/** Minor units as a decimal string with `exponent` digits after the point: 16000, 2 → `160.00`. */
export function decimal(minor: number, exponent: number): string {
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** Minor units as currency: 16000, CNY, 2 → `160.00 CNY`. */
export function money(minor: number, currency: string, exponent: number): string {
  return `${decimal(minor, exponent)} ${currency}`;
}

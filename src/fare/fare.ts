/**
 * Fares: a bus charges a flat fare per fare profile, capped by the credential's per-trip cap;
 * a metro entry (`in`) carries no fare (the backend prices the journey from entry and exit);
 * a metro exit (`out`) carries a flat fare only where the operator configured one.
 */
import type { Config } from '../config/schema.ts';

export const PROFILES = ['adult', 'child', 'student', 'senior', 'disabled', 'staff'] as const;
export type ProfileName = (typeof PROFILES)[number];

type FareTable = NonNullable<Config['fare']['bus']>;

/** The fare of a profile; a profile the table does not list (or an unknown number) pays the adult fare. */
export function tableFare(table: FareTable, profile: number): number {
  const name = PROFILES[profile];
  return (name !== undefined ? table[name] : undefined) ?? table.adult;
}

export function fareFor(
  fare: Config['fare'],
  mode: 'bus' | 'metro',
  direction: 'board' | 'in' | 'out',
  profile: number,
  cap: number | undefined,
): number | undefined {
  let amount: number | undefined;
  if (mode === 'bus') amount = fare.bus ? tableFare(fare.bus, profile) : undefined;
  else if (direction === 'out' && fare.metroOut) amount = tableFare(fare.metroOut, profile);
  if (amount !== undefined && cap !== undefined) amount = Math.min(amount, cap);
  return amount;
}

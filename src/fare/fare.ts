/**
 * Fares: a bus charges a flat fare per fare profile, capped by the credential's per-trip cap;
 * a metro entry (`in`) carries no fare (the backend prices the journey from entry and exit);
 * a metro exit (`out`) carries a flat fare only where the operator configured one. Pure.
 */
import type { Config } from '../config/schema.ts';
import { PROFILES, type Direction, type Profile, type ServiceMode } from '../domain/vocabulary.ts';

export { PROFILES, type ProfileName } from '../domain/vocabulary.ts';

export type FareSettings = Config['fare'];
type FareTable = NonNullable<FareSettings['bus']>;

/** The fare of a profile; a profile the table does not list (or an unknown number) pays the adult fare. */
export function tableFare(table: FareTable, profile: Profile): number {
  const name = PROFILES[profile];
  return (name !== undefined ? table[name] : undefined) ?? table.adult;
}

/** The fare of a tap in minor units, or undefined where the validator sets none (the backend prices it). */
export function fareFor(
  fare: FareSettings,
  mode: ServiceMode,
  direction: Direction,
  profile: Profile,
  cap: number | undefined,
): number | undefined {
  let amount: number | undefined;
  if (mode === 'bus') amount = fare.bus ? tableFare(fare.bus, profile) : undefined;
  else if (direction === 'out' && fare.metroOut) amount = tableFare(fare.metroOut, profile);
  if (amount !== undefined && cap !== undefined) amount = Math.min(amount, cap);
  return amount;
}

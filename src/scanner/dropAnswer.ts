/** The rule for answering dropped scanner input at the gate (src/service/tapProcessor.ts uses it). */
import type { DropEnd, DropReason } from './types.ts';

/**
 * Whether the rider is answered `scan_again` for dropped input: a line that a terminator ends
 * (overlong, noise, only an AIM identifier) and a read that stalled with text in it (stale or
 * overlong, then silence) were a read the rider made; noise before the next frame, noise that
 * just trails off, and a lost link stay silent (logged and counted only).
 */
export function dropTellsRider(reason: DropReason, endedBy: DropEnd): boolean {
  if (endedBy === 'terminator') return true;
  if (endedBy === 'silence') return reason === 'stale' || reason === 'overlong';
  return false;
}

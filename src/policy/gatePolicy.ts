/**
 * The gate policy around a ride-code decision (the token validator decides whether a code is
 * genuine; the policy decides what this gate does with it):
 *
 * - modes (remote commands, persisted): `free_pass` opens for every frame and records valid codes
 *   as taps with fare 0 and flag `free_pass`; `out_of_service` turns every frame away.
 * - metro `in` gates, anti-passback: the same account entering again at this station within
 *   `policy.antiPassbackSeconds` of an accepted entry is refused (`anti_passback`, see staff) and
 *   nothing is committed. 0 disables it. Entries made during a free pass do not count.
 * - metro `out` gates: an exit with no entry of the same account in this store within
 *   `policy.maxJourneySeconds` is still accepted, flagged `no_entry` (this store saw no entry;
 *   the backend decides).
 * - bus: nothing beyond the token checks (flat fares by profile, capped: src/fare/fare.ts).
 */
import type Database from 'better-sqlite3';
import type { Config } from '../config/schema.ts';
import type { Tap } from '../store/tapStore.ts';
import type { MessageClass } from '../token/reasons.ts';
import { EntryMemory } from './entryMemory.ts';
import { GateModes, type ModesStatus } from './gateModes.ts';

/** Service-level outcome reasons added by the policy (next to the token reasons). */
export type PolicyReason = 'out_of_service' | 'anti_passback';

/** What the gate shows for a policy refusal (the text is gate-facing; the class is the existing one). */
export const POLICY_SIGNAL: Record<PolicyReason, { message: MessageClass; text: string }> = {
  out_of_service: { message: 'see_staff', text: 'Out of service: please use another gate' },
  anti_passback: { message: 'see_staff', text: 'Please see staff' },
};

export const FLAG_FREE_PASS = 'free_pass';
export const FLAG_NO_ENTRY = 'no_entry';

export type Admission = { ok: true; flags: string[] } | { ok: false; reason: PolicyReason; detail: string };

export type PolicyConfig = Pick<Config, 'mode' | 'place' | 'direction' | 'policy'>;

export class GatePolicy {
  readonly modes = new GateModes();
  readonly entries: EntryMemory;

  constructor(private readonly cfg: PolicyConfig) {
    this.entries = new EntryMemory(this.horizonMs());
  }

  private horizonMs(): number {
    return Math.max(this.cfg.policy.antiPassbackSeconds, this.cfg.policy.maxJourneySeconds) * 1000;
  }

  get freePass(): boolean {
    return this.modes.freePass;
  }

  get outOfService(): boolean {
    return this.modes.outOfService;
  }

  /** Loads the persisted modes and rebuilds the entry memory from the store. Returns the taps replayed. */
  attach(db: Database.Database, nowMs: number): number {
    this.modes.attach(db);
    if (this.cfg.mode !== 'metro') return 0;
    return this.entries.restore(db, this.cfg.place, nowMs - this.horizonMs());
  }

  /** Settings changed live (policy windows). */
  configChanged(): void {
    this.entries.setHorizon(this.horizonMs());
  }

  /**
   * For a code the validator accepted (outside free pass), before the tap is committed:
   * refuse it, or say which flags the tap carries.
   */
  admit(tap: Pick<Tap, 'sub' | 'at'>): Admission {
    const c = this.cfg;
    if (c.mode !== 'metro') return { ok: true, flags: [] };
    const last = this.entries.last(tap.sub);
    if (c.direction === 'in') {
      const w = c.policy.antiPassbackSeconds * 1000;
      if (w > 0 && last && !last.freePass && tap.at - last.at < w && tap.at >= last.at)
        return { ok: false, reason: 'anti_passback', detail: `entered here ${Math.round((tap.at - last.at) / 1000)} s ago (window ${c.policy.antiPassbackSeconds} s)` };
      return { ok: true, flags: [] };
    }
    const matched = last !== undefined && tap.at - last.at <= c.policy.maxJourneySeconds * 1000;
    return { ok: true, flags: matched ? [] : [FLAG_NO_ENTRY] };
  }

  /** After a tap is committed: remember entries, consume them on exits. */
  committed(tap: Tap): void {
    if (tap.mode !== 'metro') return;
    if (tap.direction === 'in') this.entries.entry(tap.sub, tap.at, tap.flags?.includes(FLAG_FREE_PASS) ?? false);
    else if (tap.direction === 'out') this.entries.exit(tap.sub);
  }

  status(): { modes: ModesStatus; antiPassbackSeconds: number; entriesRemembered: number } {
    return { modes: this.modes.status(), antiPassbackSeconds: this.cfg.mode === 'metro' && this.cfg.direction === 'in' ? this.cfg.policy.antiPassbackSeconds : 0, entriesRemembered: this.entries.size };
  }
}

/**
 * The gate policy's state around the admission rules (src/admission/admit.ts decides; this keeps
 * what the rules read):
 *
 * - modes (remote commands, persisted, src/policy/gateModes.ts): `free_pass` and `out_of_service`;
 * - metro entry memory (src/policy/entryMemory.ts): the last entry of each account at this station,
 *   rebuilt from the tap store at start, fed by committed taps; read by anti-passback on `in` gates
 *   and by exit matching on `out` gates.
 */
import type Database from 'better-sqlite3';
import type { ServiceReason } from '../admission/reasons.ts';
import type { Config } from '../config/schema.ts';
import { TAP_FLAGS } from '../domain/vocabulary.ts';
import type { Tap } from '../store/tapStore.ts';
import { EntryMemory } from './entryMemory.ts';
import { GateModes, type ModesStatus } from './gateModes.ts';

/** Service reasons of the gate policy (numbers and messages: src/admission/reasons.ts). */
export type PolicyReason = Extract<ServiceReason, 'out_of_service' | 'anti_passback'>;

export const FLAG_FREE_PASS = TAP_FLAGS.freePass;
export const FLAG_NO_ENTRY = TAP_FLAGS.noEntry;

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

  /** After a tap is committed: remember entries, consume them on exits. */
  committed(tap: Pick<Tap, 'mode' | 'direction' | 'sub' | 'at' | 'flags'>): void {
    if (tap.mode !== 'metro') return;
    if (tap.direction === 'in') this.entries.entry(tap.sub, tap.at, tap.flags?.includes(FLAG_FREE_PASS) ?? false);
    else if (tap.direction === 'out') this.entries.exit(tap.sub);
  }

  status(): { modes: ModesStatus; antiPassbackSeconds: number; entriesRemembered: number } {
    const c = this.cfg;
    const antiPassbackSeconds = c.mode === 'metro' && c.direction === 'in' ? c.policy.antiPassbackSeconds : 0;
    return { modes: this.modes.status(), antiPassbackSeconds, entriesRemembered: this.entries.size };
  }
}

/**
 * Recent metro entries per account (`sub`) that this gate's store has seen, for anti-passback on
 * `in` gates and for matching exits on `out` gates. Rebuilt at start from the tap store (like the
 * replay memory), so it survives a restart.
 *
 * A validator knows only its own store: an `out` gate sees entries only if they were made on this
 * device (e.g. a reversible gate, or a store that was an `in` gate before). "No entry" therefore
 * means "this gate's store saw no entry"; the backend, which sees every gate, decides.
 */
import type Database from 'better-sqlite3';
import type { EntryLookup, EntryRecord } from '../admission/admit.ts';
import { TAP_FLAGS } from '../domain/vocabulary.ts';

export type { EntryRecord } from '../admission/admit.ts';

export class EntryMemory implements EntryLookup {
  private readonly entries = new Map<string, EntryRecord>();

  constructor(
    /** Entries older than this (ms) are forgotten. */
    private horizonMs: number,
    /** Bound on memory: the oldest entries are dropped beyond it. */
    private readonly capacity = 500_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  setHorizon(ms: number): void {
    this.horizonMs = ms;
  }

  last(sub: string): EntryRecord | undefined {
    return this.entries.get(sub);
  }

  entry(sub: string, at: number, freePass: boolean): void {
    this.entries.delete(sub);
    this.entries.set(sub, { at, freePass });
    this.prune(at);
  }

  /** An exit consumes the account's entry (a later exit without a new entry is unmatched). */
  exit(sub: string): EntryRecord | undefined {
    const e = this.entries.get(sub);
    this.entries.delete(sub);
    return e;
  }

  prune(nowMs: number): void {
    const limit = nowMs - this.horizonMs;
    for (const [sub, e] of this.entries) {
      if (e.at >= limit && this.entries.size <= this.capacity) break;
      this.entries.delete(sub);
    }
  }

  /** Replays this store's metro taps at `place` since `sinceMs`, oldest first. Returns the taps read. */
  restore(db: Database.Database, place: string, sinceMs: number): number {
    const rows = db
      .prepare(
        "SELECT sub, at, direction, flags FROM taps WHERE mode = 'metro' AND place = ? AND at >= ? " +
          "AND direction IN ('in', 'out') ORDER BY at, seqno",
      )
      .all(place, sinceMs) as { sub: string; at: number; direction: 'in' | 'out'; flags: string | null }[];
    for (const r of rows) {
      if (r.direction === 'in') {
        const freePass = r.flags !== null && (JSON.parse(r.flags) as string[]).includes(TAP_FLAGS.freePass);
        this.entry(r.sub, r.at, freePass);
      } else this.exit(r.sub);
    }
    return rows.length;
  }
}

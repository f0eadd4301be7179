/**
 * The accepts this gate heard from the other gates of its group and merged into its replay memory
 * (src/fleet/replayShare.ts, docs/replay-sharing.md), kept in the tap store (table
 * `group_accepts`, TAP_STORE step 4) so that a restart, or a SIGKILL, does not forget that a code
 * was accepted at the next gate: at start they are merged back before the scanner reads a frame
 * (the store component, src/service/components.ts).
 *
 * Written off the decision's path: `record` only queues; the queue is written in one transaction
 * a moment later (`flushAfterMs`, on a timer of its own, never inside a decision or a tap's
 * commit), and at stop. What was heard within that moment before a SIGKILL is lost: the gate then
 * forgets only those entries, as it forgot all of them before this table. Not money: a write that
 * fails is logged and dropped. Entries expire with the replay retention (`prune`, housekeeping).
 */
import type Database from 'better-sqlite3';
import { errorFields } from '../errors/faregateError.ts';
import type { Logger } from '../platform/logger.ts';

export interface GroupAccept {
  codeId: string;
  /** The replay memory's rider key: the sub hex, `<format>:<sub hex>` for a format other than FG1. */
  sub: string;
  /** Acceptance time at the other gate, Unix ms. */
  at: number;
  /** The gate of the group that accepted it (its device id, the announcement's kid). */
  fromGate: string;
}

export interface GroupAcceptsOptions {
  /** The tap store's open connection (read when writing, so the store may open later). */
  db: () => Database.Database;
  /** The replay retention, ms: an entry expires this long after its acceptance. */
  retentionMs: number;
  log: Logger;
  /** How long a heard entry waits before its batch is written (ms). */
  flushAfterMs?: number;
  /** Most entries waiting to be written (the oldest are dropped beyond, and counted). */
  maxPending?: number;
}

interface Statements {
  db: Database.Database;
  insert: Database.Statement;
}

export class GroupAccepts {
  private pending: GroupAccept[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stmts: Statements | undefined;
  private closed = false;
  /** Entries written to the store. */
  written = 0;
  /** Entries not written (a full queue, or a write that failed). */
  dropped = 0;

  constructor(private readonly o: GroupAcceptsOptions) {}

  /** Queues a merged entry; written within `flushAfterMs`. Never touches the store itself. */
  record(e: GroupAccept): void {
    if (this.closed) return;
    if (this.pending.length >= (this.o.maxPending ?? 50_000)) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push(e);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.o.flushAfterMs ?? 200);
    this.timer.unref();
  }

  /** Writes what is queued in one transaction; returns how many were written. */
  flush(): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return 0;
    const batch = this.pending;
    this.pending = [];
    try {
      const db = this.o.db();
      if (this.stmts?.db !== db)
        this.stmts = {
          db,
          insert: db.prepare(
            `INSERT OR IGNORE INTO group_accepts (code_id, sub, at, from_gate, expires_at)
               VALUES (?, ?, ?, ?, ?)`,
          ),
        };
      const { insert } = this.stmts;
      const r = this.o.retentionMs;
      db.transaction(() => {
        for (const e of batch) insert.run(e.codeId, e.sub, e.at, e.fromGate, e.at + r);
      })();
      this.written += batch.length;
      return batch.length;
    } catch (e) {
      this.dropped += batch.length;
      this.o.log.error({ ...errorFields(e), entries: batch.length }, 'could not keep accepts of the group');
      return 0;
    }
  }

  /** The kept entries accepted at `sinceMs` or later and not expired at `nowMs`, oldest first. */
  since(sinceMs: number, nowMs: number): GroupAccept[] {
    return this.o
      .db()
      .prepare(
        `SELECT code_id AS codeId, sub, at, from_gate AS fromGate FROM group_accepts
           WHERE expires_at > ? AND at >= ? ORDER BY at`,
      )
      .all(nowMs, sinceMs) as GroupAccept[];
  }

  /** Deletes the entries expired at `nowMs` (by the expiry index); returns how many. */
  prune(nowMs: number): number {
    return this.o.db().prepare('DELETE FROM group_accepts WHERE expires_at <= ?').run(nowMs).changes;
  }

  /** Takes entries again (the store was opened). */
  open(): void {
    this.closed = false;
  }

  /** Writes what is queued and takes nothing more (before the store closes). */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

/**
 * The validator's local store (SQLite, WAL): accepted taps, committed before the gate opens and
 * kept until the backend acknowledges them; decision events without ride codes; what the
 * replay memory needs after a restart.
 *
 * Durability: `synchronous=NORMAL` with WAL survives a crash of this process (SIGKILL included):
 * a committed tap is in the WAL file. `FULL` also survives power loss: every commit waits for
 * fsync.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../platform/logger.ts';
import type { StoredTap, Tap } from '../domain/tap.ts';
import { migrate, TAP_STORE_MIGRATIONS } from './migrations.ts';
import { storedTapFromRow, TAP_COLUMNS, tapToRow, type TapRow } from './tapRow.ts';

export type { StoredTap, Tap } from '../domain/tap.ts';
export type { Direction } from '../domain/vocabulary.ts';

export interface DecisionEvent {
  at: number;
  kind: 'reject' | 'ignore' | 'dropped' | 'store_error';
  reason: string;
  codeId?: string;
  sub?: string;
}

export interface StoreOptions {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
  logger: Logger;
  /** Decision events kept (oldest pruned). */
  maxEvents?: number;
}

/** WAL size (pages) at which SQLite checkpoints inside a commit (its default). */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

export class TapStore {
  private db: Database.Database | undefined;
  private insertTap!: Database.Statement;
  private insertEvent!: Database.Statement;
  private pendingEvents: DecisionEvent[] = [];
  private readonly maxEvents: number;
  private readonly log: Logger;
  // Kept in memory so health and metrics never scan the tables (a backlog can be 100k+ taps).
  private tapCount = 0;
  private unsettledCount = 0;
  private rejectedCount = 0;
  private eventCount = 0;

  constructor(private readonly opts: StoreOptions) {
    this.maxEvents = opts.maxEvents ?? 100_000;
    this.log = opts.logger;
  }

  open(): void {
    mkdirSync(dirname(this.opts.file), { recursive: true });
    const db = new Database(this.opts.file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.opts.synchronous}`);
    db.pragma('busy_timeout = 5000');
    // checkpoint() runs between riders; the automatic checkpoint (inside whichever commit crosses
    // the limit) stays at SQLite's default size, so a busy gate never builds up one long stall.
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    let migrated;
    try {
      migrated = migrate(db, TAP_STORE_MIGRATIONS, this.opts.file);
    } catch (e) {
      db.close();
      throw e;
    }
    if (migrated.applied.length > 0 && migrated.from > 0) {
      this.log.info({ file: this.opts.file, from: migrated.from, to: migrated.to }, 'store schema migrated');
    }
    this.insertTap = db.prepare(
      `INSERT INTO taps (${TAP_COLUMNS.join(', ')}) VALUES (${TAP_COLUMNS.map((c) => `@${c}`).join(', ')})`,
    );
    this.insertEvent = db.prepare('INSERT INTO events (at, kind, reason, code_id, sub) VALUES (?, ?, ?, ?, ?)');
    this.db = db;
    const c = db
      .prepare(
        `SELECT (SELECT count(*) FROM taps) AS taps,
                (SELECT count(*) FROM taps WHERE settled = 0 AND rejected = 0) AS unsettled,
                (SELECT count(*) FROM taps WHERE rejected = 1) AS rejected,
                (SELECT count(*) FROM events) AS events`,
      )
      .get() as { taps: number; unsettled: number; rejected: number; events: number };
    this.tapCount = c.taps;
    this.unsettledCount = c.unsettled;
    this.rejectedCount = c.rejected;
    this.eventCount = c.events;
    this.log.info({ file: this.opts.file, synchronous: this.opts.synchronous, ...this.counts() }, 'store open');
  }

  private get conn(): Database.Database {
    if (!this.db) throw new Error('store is not open');
    return this.db;
  }

  /** Commits an accepted tap durably (per `synchronous`). Throws if it cannot. */
  recordTap(tap: Tap): void {
    this.insertTap.run(tapToRow(tap));
    this.tapCount++;
    this.unsettledCount++;
  }

  /** Moves the WAL into the database file without waiting for writers (call it between riders). */
  checkpoint(): void {
    if (this.db) this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Queues a decision event; written in batches by `flushEvents` (they are not money). */
  recordEvent(ev: DecisionEvent): void {
    this.pendingEvents.push(ev);
    if (this.pendingEvents.length >= 256) this.flushEvents();
  }

  flushEvents(): void {
    if (!this.db || this.pendingEvents.length === 0) return;
    const batch = this.pendingEvents;
    this.pendingEvents = [];
    const tx = this.conn.transaction((evs: DecisionEvent[]) => {
      for (const e of evs) this.insertEvent.run(e.at, e.kind, e.reason, e.codeId ?? null, e.sub ?? null);
    });
    try {
      tx(batch);
      this.eventCount += batch.length;
      if (this.eventCount > this.maxEvents)
        this.eventCount -= this.conn
          .prepare('DELETE FROM events WHERE seqno <= (SELECT max(seqno) FROM events) - ?')
          .run(this.maxEvents).changes;
    } catch (e) {
      this.log.error({ err: e }, 'could not write decision events');
    }
  }

  /** Accepted taps since `sinceMs` (for the replay memory after a restart), oldest first. */
  acceptedSince(sinceMs: number): { codeId: string; sub: string; at: number; format: string | null }[] {
    return this.conn
      .prepare('SELECT code_id AS codeId, sub, at, format FROM taps WHERE at >= ? ORDER BY at, seqno')
      .all(sinceMs) as { codeId: string; sub: string; at: number; format: string | null }[];
  }

  tap(id: string): StoredTap | undefined {
    const r = this.conn.prepare('SELECT * FROM taps WHERE id = ?').get(id) as TapRow | undefined;
    return r && storedTapFromRow(r);
  }

  allTaps(): StoredTap[] {
    return (this.conn.prepare('SELECT * FROM taps ORDER BY seqno').all() as TapRow[]).map(storedTapFromRow);
  }

  counts(): { taps: number; unsettled: number; events: number } {
    return { taps: this.tapCount, unsettled: this.unsettledCount, events: this.eventCount + this.pendingEvents.length };
  }

  events(limit = 1000): DecisionEvent[] {
    this.flushEvents();
    return (
      this.conn
        .prepare('SELECT at, kind, reason, code_id AS codeId, sub FROM events ORDER BY seqno DESC LIMIT ?')
        .all(limit) as {
        at: number;
        kind: DecisionEvent['kind'];
        reason: string;
        codeId: string | null;
        sub: string | null;
      }[]
    ).map((e) => {
      const ev: DecisionEvent = { at: e.at, kind: e.kind, reason: e.reason };
      if (e.codeId !== null) ev.codeId = e.codeId;
      if (e.sub !== null) ev.sub = e.sub;
      return ev;
    });
  }

  /** Unsettled taps due for (re)sending at `nowMs`: never-sent first in order, then retries. */
  dueForUpload(nowMs: number, limit: number): StoredTap[] {
    return (
      this.conn
        .prepare(
          `SELECT * FROM taps WHERE settled = 0 AND rejected = 0 AND next_attempt_at <= ?
             ORDER BY next_attempt_at, seqno LIMIT ?`,
        )
        .all(nowMs, limit) as TapRow[]
    ).map(storedTapFromRow);
  }

  /** Records a send: one more attempt, and when the taps become due again if no ack names them. */
  markSent(ids: readonly string[], nowMs: number, retryAfterMs: (attempts: number) => number): void {
    const get = this.conn.prepare('SELECT attempts FROM taps WHERE id = ?').pluck();
    const upd = this.conn.prepare(
      `UPDATE taps SET attempts = ?, last_sent_at = ?, next_attempt_at = ?
         WHERE id = ? AND settled = 0 AND rejected = 0`,
    );
    this.conn.transaction(() => {
      for (const id of ids) {
        const a = ((get.get(id) as number | undefined) ?? 0) + 1;
        upd.run(a, nowMs, nowMs + retryAfterMs(a), id);
      }
    })();
  }

  /** Marks the named taps settled; returns how many were newly settled (unknown or settled ids are ignored). */
  markSettled(ids: readonly string[], nowMs: number): number {
    const upd = this.conn.prepare(
      'UPDATE taps SET settled = 1, settled_at = ? WHERE id = ? AND settled = 0 AND rejected = 0',
    );
    let n = 0;
    this.conn.transaction(() => {
      for (const id of ids) n += upd.run(nowMs, id).changes;
    })();
    this.unsettledCount -= n;
    return n;
  }

  /**
   * Marks the named taps rejected by the backend (settlement-mqtt-v1 Amendment 1): kept, never
   * sent again, never settled; purged like settled taps after the retention. Returns how many
   * were newly rejected (unknown, settled or already rejected ids are ignored).
   */
  markRejected(taps: readonly { id: string; reason: string }[], nowMs: number): number {
    const upd = this.conn.prepare(
      `UPDATE taps SET rejected = 1, rejected_reason = ?, rejected_at = ?
         WHERE id = ? AND settled = 0 AND rejected = 0`,
    );
    let n = 0;
    this.conn.transaction(() => {
      for (const t of taps) n += upd.run(t.reason, nowMs, t.id).changes;
    })();
    this.unsettledCount -= n;
    this.rejectedCount += n;
    return n;
  }

  /** Taps the backend rejected and the store still holds. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** Makes every unsettled tap due now (after a reconnect: the broker may have lost what was in flight). */
  makeAllDue(): void {
    this.conn
      .prepare('UPDATE taps SET next_attempt_at = 0 WHERE settled = 0 AND rejected = 0 AND next_attempt_at > 0')
      .run();
  }

  /**
   * The backlog without scanning it: the count is kept in memory; the oldest unsettled tap comes
   * from the (settled, seqno) index; failed attempts are the most among the 100 oldest
   * unsettled taps (they are sent first, so they have been tried the most).
   */
  backlog(): { unsettled: number; oldestAt: number | null; maxAttempts: number; rejected: number } {
    const r = this.conn
      .prepare(
        `SELECT min(at) AS oldestAt, coalesce(max(attempts), 0) AS maxAttempts
           FROM (SELECT at, attempts FROM taps WHERE settled = 0 AND rejected = 0 ORDER BY seqno LIMIT 100)`,
      )
      .get() as { oldestAt: number | null; maxAttempts: number };
    return { unsettled: this.unsettledCount, ...r, rejected: this.rejectedCount };
  }

  /**
   * Deletes settled taps settled before `olderThanMs` (and taps the backend rejected before it),
   * keeping the most recent `keepRecent` taps whatever their age. Unsettled taps are never
   * deleted. Returns the number deleted.
   */
  purgeSettled(olderThanMs: number, keepRecent: number): number {
    const floor = this.conn
      .prepare('SELECT seqno FROM taps ORDER BY seqno DESC LIMIT 1 OFFSET ?')
      .pluck()
      .get(Math.max(0, keepRecent - 1)) as number | undefined;
    if (floor === undefined) return 0;
    const n = this.conn
      .prepare('DELETE FROM taps WHERE settled = 1 AND settled_at < ? AND seqno < ?')
      .run(olderThanMs, floor).changes;
    const r = this.conn
      .prepare('DELETE FROM taps WHERE rejected = 1 AND settled = 0 AND rejected_at < ? AND seqno < ?')
      .run(olderThanMs, floor).changes;
    this.tapCount -= n + r;
    this.rejectedCount -= r;
    return n + r;
  }

  /** Size of the database files on disk, bytes. */
  sizeBytes(): number {
    const pages = this.conn.pragma('page_count', { simple: true }) as number;
    const size = this.conn.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  close(): void {
    if (!this.db) return;
    this.flushEvents();
    this.db.close();
    this.db = undefined;
  }

  /** The underlying connection, for the settlement uploader. */
  get database(): Database.Database {
    return this.conn;
  }
}

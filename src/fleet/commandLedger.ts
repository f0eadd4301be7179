/**
 * The ids of remote commands this validator has accepted, kept in the store's SQLite database
 * with their expiry: a replayed command (same id) does nothing, also after a restart. An id is
 * kept until its command has expired (plus the clock skew); after that a replay is refused as
 * expired anyway.
 */
import type Database from 'better-sqlite3';
import { FaregateError } from '../errors/faregateError.ts';

export class CommandLedger {
  private db: Database.Database | undefined;

  /** Uses the store's database; the `command_ids` table is created by the store's versioned migrations. */
  attach(db: Database.Database): void {
    this.db = db;
  }

  private get conn(): Database.Database {
    if (!this.db) throw new FaregateError('STORE_UNAVAILABLE', 'command ledger is not attached to the store');
    return this.db;
  }

  /** Records an id; false when it was seen before (a replay). Durable when this returns. */
  claim(id: string, expiresAtSec: number, nowMs: number, cmd: string): boolean {
    return (
      this.conn
        .prepare('INSERT OR IGNORE INTO command_ids (id, expires_at, seen_at, cmd) VALUES (?, ?, ?, ?)')
        .run(id, expiresAtSec, Math.floor(nowMs), cmd).changes === 1
    );
  }

  seen(id: string): boolean {
    return this.conn.prepare('SELECT 1 FROM command_ids WHERE id = ?').get(id) !== undefined;
  }

  /** Forgets ids whose commands expired more than `skewSec` before `nowSec`. */
  purge(nowSec: number, skewSec: number): number {
    return this.conn.prepare('DELETE FROM command_ids WHERE expires_at < ?').run(Math.floor(nowSec - skewSec) - 1)
      .changes;
  }

  get size(): number {
    return (this.conn.prepare('SELECT count(*) AS n FROM command_ids').get() as { n: number }).n;
  }
}

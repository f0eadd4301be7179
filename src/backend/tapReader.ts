/**
 * How a report reads settled taps from a backend store: the {@link TapReader} interface (small
 * on purpose: one store kind per implementation) and its SQLite implementation over the backend
 * store file (src/backend/backendStore.ts), opened read-only so a report never writes to, locks
 * out or migrates the store a running backend is writing.
 */
import Database from 'better-sqlite3';
import type { TapMessage } from '../contract/settlement.ts';
import { FaregateError } from '../errors/faregateError.ts';
import { BACKEND_STORE_MIGRATIONS, refuseNewer } from '../store/migrations.ts';
import { tapFromRow, type TapColumns } from '../store/tapRow.ts';
import type { DeviceCounters } from './backendStore.ts';

/** A span of tap times, Unix ms: `from` ≤ at < `to`; an absent end is open. */
export interface TapRange {
  from?: number;
  to?: number;
}

/**
 * Reads what a backend settled. An implementation (SQLite here, PostgreSQL alongside) returns
 * each settled tap once, as its wire message (settlement-mqtt-v1 fields, `flags` included), in
 * any order: the fare engine sorts them itself.
 */
export interface TapReader {
  /** The settled taps whose `at` is in `range`. */
  taps(range: TapRange): Promise<TapMessage[]>;
  /** Per-device batch counters (batches, malformed, duplicates, conflicts), where the store keeps them. */
  devices?(): Promise<DeviceCounters[]>;
  /** Releases the connection; the reader is not used after. */
  close(): Promise<void>;
}

/** The backend's SQLite store file, read-only (`backend report --db FILE`). */
export class SqliteTapReader implements TapReader {
  private readonly db: Database.Database;
  /** Schema 1 has no `cap` column (a store not opened by a backend since step 2). */
  private readonly capColumn: string;
  /** Schemas 1 and 2 have no `format` column. */
  private readonly formatColumn: string;

  /** Opens `file`; throws if it is missing (SQLITE_CANTOPEN), newer than this program, or no backend store. */
  constructor(readonly file: string) {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      const version = refuseNewer(db, BACKEND_STORE_MIGRATIONS, file);
      if (version < 1) throw new FaregateError('STORE_NOT_FOUND', `${file} is not a faregate backend store`);
      this.capColumn = version >= 2 ? 'cap' : 'NULL AS cap';
      this.formatColumn = version >= 3 ? 'format' : 'NULL AS format';
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
  }

  taps(range: TapRange): Promise<TapMessage[]> {
    const rows = this.db
      .prepare(
        `SELECT id, device_id, at, mode, place, direction, sub, cti, code_id, ts, seq, profile, fare, currency, flags,
                ${this.capColumn}, ${this.formatColumn} FROM settled_taps WHERE at >= ? AND at < ?`,
      )
      .all(range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER) as TapColumns[];
    return Promise.resolve(rows.map(tapFromRow));
  }

  devices(): Promise<DeviceCounters[]> {
    return Promise.resolve(
      this.db
        .prepare(
          `SELECT device_id AS deviceId, batches, malformed, taps, duplicates, conflicts, last_batch_at AS lastBatchAt
             FROM device_counters ORDER BY device_id`,
        )
        .all() as DeviceCounters[],
    );
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

/**
 * Read-only views of a validator's store (the SQLite file the service writes, WAL mode), safe
 * while the service runs: the connection is opened read-only, never creates the file, and each
 * view is one short read transaction (a WAL reader never blocks the writer).
 */
import Database from 'better-sqlite3';
import { chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FaregateError, errorMessage } from '../errors/faregateError.ts';
import type { Tap } from '../domain/tap.ts';
import { TAP_COLUMNS, tapFromRow, type TapColumns, type TapRow } from './tapRow.ts';
import { refuseNewer, TAP_STORE_MIGRATIONS } from './migrations.ts';

/** = STORE_FILE of src/service/validatorService.ts (a test keeps them equal; that module loads the whole service). */
export const STORE_FILE_NAME = 'faregate.sqlite';

/** A file SQLite created next to the store belongs to the store's owner (when run as root). */
function giveToStoreOwner(store: string, created: string): void {
  if (process.getuid?.() !== 0 || !existsSync(created)) return;
  try {
    const st = statSync(store);
    chownSync(created, st.uid, st.gid);
  } catch {
    // Best effort: the service running as root needs nothing.
  }
}

/** There is no (readable) store in the data directory: STORE_NOT_FOUND (FG-202). */
export class NoStoreError extends FaregateError {
  override readonly name = 'NoStoreError';
  constructor(message: string) {
    super('STORE_NOT_FOUND', message);
  }
}

/**
 * A tap as `faregate taps` shows it (and `--json` prints it): the stored tap without the fields
 * the display does not use (deviceId, ts, seq), `fare` null and `flags` empty when absent, and
 * the store's settlement bookkeeping. Made from the one row mapping (src/store/tapRow.ts).
 */
export type TapView = Omit<Tap, 'deviceId' | 'ts' | 'seq' | 'fare' | 'flags'> & {
  fare: number | null;
  flags: string[];
  settled: boolean;
  settledAt: number | null;
  attempts: number;
  /** `settled`, `unsettled`, or `rejected` (the backend refused it in a signed ack: kept, never re-sent). */
  state: 'settled' | 'unsettled' | 'rejected';
  /** Why the backend rejected it (e.g. `duplicate_id_conflict`), else null. */
  rejectedReason: string | null;
  rejectedAt: number | null;
};

/** The settlement bookkeeping columns a view reads (the rejected ones from store version 3 on). */
type BookkeepingColumns = Pick<TapRow, 'settled' | 'settled_at' | 'attempts'> & {
  rejected?: number;
  rejected_reason?: string | null;
  rejected_at?: number | null;
};

/** The view of a row (field order as `faregate taps --json` has always printed them). */
export function tapViewOfRow(r: TapColumns & BookkeepingColumns): TapView {
  const t = tapFromRow(r);
  return {
    id: t.id,
    at: t.at,
    mode: t.mode,
    place: t.place,
    direction: t.direction,
    sub: t.sub,
    cti: t.cti,
    codeId: t.codeId,
    profile: t.profile,
    fare: t.fare ?? null,
    currency: t.currency,
    flags: t.flags ?? [],
    // Absent on taps written before it (the validator read FG1 only then).
    ...(t.format !== undefined ? { format: t.format } : {}),
    settled: r.settled === 1,
    settledAt: r.settled_at,
    attempts: r.attempts,
    state: r.settled === 1 ? 'settled' : r.rejected === 1 ? 'rejected' : 'unsettled',
    rejectedReason: r.rejected_reason ?? null,
    rejectedAt: r.rejected_at ?? null,
  };
}

export interface TapCounts {
  total: number;
  unsettled: number;
  settled: number;
  /** Rejected decisions (kept as events, not taps: a rejected code is never a tap). */
  rejected: number;
  /** Taps the backend rejected in a signed ack (neither settled nor unsettled: never sent again). */
  backendRejected: number;
}

export interface EventView {
  at: number;
  /** reject, ignore, dropped, store_error (decision events), or command (a remote command accepted). */
  kind: string;
  /** The decision reason, or the command's name. */
  what: string;
  codeId?: string;
  sub?: string;
  /** The command id (commands only). */
  id?: string;
}

export interface ModeView {
  name: string;
  on: boolean;
  since: number;
  by: string | null;
}

export class StoreReader {
  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {}

  /**
   * Opens `dataDir/faregate.sqlite` read-only; NoStoreError when there is none (nothing is
   * created). While a service has the store open (its WAL file is there), the file itself is
   * opened read-only: WAL readers never block the writer. When no WAL file is there (the last
   * service closed the store cleanly), a private in-memory copy of the file is read instead, so
   * nothing is created next to the store: a `-shm` made by another user (say root) would lock
   * the service out of its own store at its next start.
   */
  static open(dataDir: string): StoreReader {
    const file = join(dataDir, STORE_FILE_NAME);
    if (!existsSync(file)) throw new NoStoreError(`no store in ${dataDir} (no ${STORE_FILE_NAME} there)`);
    let db: Database.Database;
    try {
      if (existsSync(`${file}-wal`)) {
        const hadShm = existsSync(`${file}-shm`);
        db = new Database(file, { readonly: true, fileMustExist: true });
        db.pragma('busy_timeout = 2000');
        if (!hadShm) giveToStoreOwner(file, `${file}-shm`);
      } else {
        const image = readFileSync(file);
        // The memory copy cannot be in WAL mode (header bytes 18-19 = 2): mark it a rollback-journal file.
        if (image.length >= 100 && image[18] === 2) image[18] = image[19] = 1;
        db = new Database(image, { readonly: true });
      }
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (e) {
      throw new NoStoreError(`${file}: not a readable store (${errorMessage(e)})`);
    }
    try {
      // A newer faregate may have changed what the tables mean: refuse rather than misread (FG-203).
      refuseNewer(db, TAP_STORE_MIGRATIONS, file);
    } catch (e) {
      db.close();
      throw e;
    }
    return new StoreReader(file, db);
  }

  private has(table: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  }

  /** Recent taps, newest first, with the counts (one read transaction). */
  taps(opts: { limit: number; unsettledOnly: boolean }): { counts: TapCounts; taps: TapView[] } {
    return this.db.transaction(() => {
      if (!this.has('taps'))
        return { counts: { total: 0, unsettled: 0, settled: 0, rejected: 0, backendRejected: 0 }, taps: [] };
      // A store written before version 3 (read, never migrated, here) has no rejected columns.
      const cols = this.db.prepare("SELECT name FROM pragma_table_info('taps')").pluck().all() as string[];
      const hasRejected = cols.includes('rejected');
      const rejectedCols = hasRejected
        ? 'rejected, rejected_reason, rejected_at'
        : '0 AS rejected, NULL AS rejected_reason, NULL AS rejected_at';
      const rej = hasRejected ? 'rejected' : '0';
      // …and one written before version 5 no cap column.
      // …and one written before version 6 no format column.
      const tapCols = TAP_COLUMNS.map((col) =>
        (col === 'cap' || col === 'format') && !cols.includes(col) ? `NULL AS ${col}` : col,
      );
      const c = this.db
        .prepare(
          `SELECT count(*) AS total, coalesce(sum(settled = 0 AND ${rej} = 0), 0) AS unsettled,
                  coalesce(sum(${rej} = 1 AND settled = 0), 0) AS backendRejected FROM taps`,
        )
        .get() as { total: number; unsettled: number; backendRejected: number };
      const rejected = this.has('events')
        ? (this.db.prepare("SELECT count(*) AS n FROM events WHERE kind = 'reject'").get() as { n: number }).n
        : 0;
      const rows = this.db
        .prepare(
          `SELECT ${tapCols.join(', ')}, settled, settled_at, attempts, ${rejectedCols}
             FROM taps ${opts.unsettledOnly ? 'WHERE settled = 0' : ''} ORDER BY seqno DESC LIMIT ?`,
        )
        .all(opts.limit) as (TapColumns & BookkeepingColumns)[];
      const settled = c.total - c.unsettled - c.backendRejected;
      return {
        counts: { total: c.total, unsettled: c.unsettled, settled, rejected, backendRejected: c.backendRejected },
        taps: rows.map(tapViewOfRow),
      };
    })();
  }

  /** Decision events and accepted remote commands, newest first, and the gate modes. */
  events(limit: number): { modes: ModeView[]; events: EventView[] } {
    return this.db.transaction(() => {
      const events: EventView[] = [];
      if (this.has('events'))
        for (const e of this.db
          .prepare('SELECT at, kind, reason, code_id, sub FROM events ORDER BY seqno DESC LIMIT ?')
          .all(limit) as {
          at: number;
          kind: string;
          reason: string;
          code_id: string | null;
          sub: string | null;
        }[])
          events.push({
            at: e.at,
            kind: e.kind,
            what: e.reason,
            ...(e.code_id !== null ? { codeId: e.code_id } : {}),
            ...(e.sub !== null ? { sub: e.sub } : {}),
          });
      if (this.has('command_ids'))
        for (const c of this.db
          .prepare('SELECT id, cmd, seen_at FROM command_ids ORDER BY seen_at DESC LIMIT ?')
          .all(limit) as { id: string; cmd: string; seen_at: number }[])
          events.push({ at: c.seen_at, kind: 'command', what: c.cmd, id: c.id });
      events.sort((a, b) => b.at - a.at);
      const modes = this.has('gate_modes')
        ? (
            this.db.prepare('SELECT name, is_on, since, by FROM gate_modes ORDER BY name').all() as {
              name: string;
              is_on: number;
              since: number;
              by: string | null;
            }[]
          ).map((m) => ({ name: m.name, on: m.is_on === 1, since: m.since, by: m.by }))
        : [];
      return { modes, events: events.slice(0, limit) };
    })();
  }

  close(): void {
    this.db.close();
  }
}

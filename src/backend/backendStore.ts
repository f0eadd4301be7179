/**
 * The backend's store of settled taps in SQLite (WAL): the embedded `SettlementStore`
 * (src/backend/settlementStore.ts; PostgreSQL is src/backend/pgStore.ts). The tap `id` is the idempotency key of
 * settlement-mqtt-v1: a tap delivered again (a replayed or overlapping batch) is counted as a
 * duplicate and not stored twice. Per-device counters of batches, malformed batches and
 * duplicates are kept in the same file, updated in the same transaction as the taps.
 *
 * Durability: the backend acknowledges a batch only after `insertBatch` returned, and the
 * validator then forgets those taps, so the default is `synchronous=FULL` (every commit waits
 * for fsync; an acknowledged tap survives power loss). `NORMAL` survives a crash of the process.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TapMessage } from '../contract/settlement.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import { tapToRow, type TapColumns } from '../store/tapRow.ts';
import { BACKEND_STORE_MIGRATIONS, latestVersion, migrate, refuseNewer } from '../store/migrations.ts';
import { FaregateError } from '../errors/faregateError.ts';
import {
  UNKNOWN_DEVICE,
  type BatchMeta,
  type DeviceCounters,
  type InsertResult,
  type Report,
  type ReportRow,
  type SettlementStore,
} from './settlementStore.ts';

export type { DeviceCounters, InsertResult, Report, ReportRow } from './settlementStore.ts';
export { UNKNOWN_DEVICE };

export interface BackendStoreOptions {
  file: string;
  /** Default FULL. */
  synchronous?: 'NORMAL' | 'FULL';
  logger?: Logger;
  /** Open an existing file only (for reports): do not create it or its schema. */
  readonly?: boolean;
}

/**
 * A settled tap's columns: the same columns, and the same one mapping from the domain's tap, as
 * the validator's store (src/store/tapRow.ts); the id is the key, compared apart.
 */
type TapRow = Omit<TapColumns, 'id'>;

function toRow(t: TapMessage): TapRow {
  const { id: _id, ...row } = tapToRow(t);
  return row;
}

function sameTap(a: TapRow, b: TapRow): boolean {
  // flags are local annotations and may change between re-sends; they are not compared.
  return (
    a.device_id === b.device_id &&
    a.at === b.at &&
    a.mode === b.mode &&
    a.place === b.place &&
    a.direction === b.direction &&
    a.sub === b.sub &&
    a.cti === b.cti &&
    a.code_id === b.code_id &&
    a.ts === b.ts &&
    a.seq === b.seq &&
    a.profile === b.profile &&
    a.fare === b.fare &&
    a.currency === b.currency &&
    // the per-trip cap is content too (PostgreSQL compares the whole tap but its flags, likewise)
    (a.cap ?? null) === (b.cap ?? null) &&
    (a.format ?? null) === (b.format ?? null)
  );
}

export class BackendStore implements SettlementStore {
  readonly kind = 'sqlite';
  private db: Database.Database | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: BackendStoreOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  open(): this {
    if (this.db) return this;
    if (this.opts.readonly) {
      const db = new Database(this.opts.file, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      let version: number;
      try {
        version = refuseNewer(db, BACKEND_STORE_MIGRATIONS, this.opts.file);
      } catch (e) {
        db.close();
        throw e;
      }
      if (version !== latestVersion(BACKEND_STORE_MIGRATIONS)) {
        db.close();
        throw new FaregateError(
          'STORE_NOT_FOUND',
          `${this.opts.file} is not a faregate backend store (schema ${version})`,
        );
      }
      this.db = db;
      return this;
    }
    mkdirSync(dirname(this.opts.file), { recursive: true });
    const db = new Database(this.opts.file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.opts.synchronous ?? 'FULL'}`);
      db.pragma('busy_timeout = 5000');
      migrate(db, BACKEND_STORE_MIGRATIONS, this.opts.file);
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    this.log.info(
      { file: this.opts.file, synchronous: this.opts.synchronous ?? 'FULL', taps: this.count() },
      'backend store open',
    );
    return this;
  }

  private get conn(): Database.Database {
    if (!this.db) throw new Error('backend store is not open');
    return this.db;
  }

  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * Stores the taps idempotently in one transaction (INSERT OR IGNORE on the tap id) and
   * updates the per-device counters (one batch per device present). Throws if it cannot commit;
   * then nothing was stored.
   */
  insertBatch(taps: readonly TapMessage[], meta: BatchMeta = {}): InsertResult {
    const db = this.conn;
    const insert = this.stmt(
      `INSERT OR IGNORE INTO settled_taps
         (id, device_id, at, mode, place, direction, sub, cti, code_id, ts, seq, profile, fare, currency, flags, cap,
          format, batch_id, received_at)
       VALUES (@id, @device_id, @at, @mode, @place, @direction, @sub, @cti, @code_id, @ts, @seq, @profile, @fare,
          @currency, @flags, @cap, @format, @batch_id, @received_at)`,
    );
    const stored = this.stmt(
      `SELECT device_id, at, mode, place, direction, sub, cti, code_id, ts, seq, profile, fare, currency, flags, cap,
              format FROM settled_taps WHERE id = ?`,
    );
    const bump = this.stmt(
      `INSERT INTO device_counters (device_id, batches, taps, duplicates, conflicts, last_batch_at) VALUES (@d, 1, @taps, @dups, @conflicts, @now)
       ON CONFLICT(device_id) DO UPDATE SET batches = batches + 1, taps = taps + @taps, duplicates = duplicates + @dups,
         conflicts = conflicts + @conflicts, last_batch_at = @now`,
    );
    const now = meta.receivedAt ?? Date.now();
    const tx = db.transaction((list: readonly TapMessage[]): InsertResult => {
      const perDevice = new Map<string, { taps: number; dups: number; conflicts: number }>();
      const result: InsertResult = { inserted: 0, duplicates: 0, conflicts: [] };
      const fresh = new Set<string>();
      for (const t of list) {
        const row = toRow(t);
        const c = perDevice.get(t.deviceId) ?? { taps: 0, dups: 0, conflicts: 0 };
        perDevice.set(t.deviceId, c);
        if (insert.run({ ...row, id: t.id, batch_id: meta.batchId ?? null, received_at: now }).changes === 1) {
          result.inserted++;
          fresh.add(t.id);
          c.taps++;
        } else {
          result.duplicates++;
          c.dups++;
          const held = stored.get(t.id) as TapRow | undefined;
          if (held && !sameTap(held, row)) {
            result.conflicts.push(t.id);
            if (fresh.has(t.id)) (result.firstCopyKept ??= []).push(t.id);
            c.conflicts++;
          }
        }
      }
      for (const [d, c] of perDevice) bump.run({ d, taps: c.taps, dups: c.dups, conflicts: c.conflicts, now });
      return result;
    });
    return tx(taps);
  }

  /** Counts a malformed batch against the device named by its topic (or UNKNOWN_DEVICE). */
  recordMalformed(deviceId: string): void {
    this.stmt(
      `INSERT INTO device_counters (device_id, malformed) VALUES (?, 1)
         ON CONFLICT(device_id) DO UPDATE SET malformed = malformed + 1`,
    ).run(deviceId);
  }

  /** Whether a tap id is held. */
  has(id: string): boolean {
    return this.stmt('SELECT 1 FROM settled_taps WHERE id = ?').get(id) !== undefined;
  }

  count(): number {
    return (this.stmt('SELECT count(*) AS n FROM settled_taps').get() as { n: number }).n;
  }

  /** Every stored tap id (for tests and audits), in id order. */
  tapIds(): string[] {
    return this.stmt('SELECT id FROM settled_taps ORDER BY id').pluck().all() as string[];
  }

  devices(): DeviceCounters[] {
    return this.stmt(
      `SELECT device_id AS deviceId, batches, malformed, taps, duplicates, conflicts, last_batch_at AS lastBatchAt
           FROM device_counters ORDER BY device_id`,
    ).all() as DeviceCounters[];
  }

  /** Settled taps and fare sums per UTC day, device, profile and currency. */
  report(): Report {
    const rows = this.stmt(
      `SELECT strftime('%Y-%m-%d', at / 1000, 'unixepoch') AS day, device_id AS deviceId, profile, currency,
                count(*) AS taps, count(fare) AS priced, coalesce(sum(fare), 0) AS fareTotal
         FROM settled_taps
         GROUP BY day, device_id, profile, currency
         ORDER BY day, device_id, profile, currency`,
    ).all() as ReportRow[];
    const fareTotals: Record<string, number> = {};
    let taps = 0;
    let priced = 0;
    for (const r of rows) {
      taps += r.taps;
      priced += r.priced;
      fareTotals[r.currency] = (fareTotals[r.currency] ?? 0) + r.fareTotal;
    }
    return { rows, devices: this.devices(), totals: { taps, priced, fareTotals } };
  }

  close(): void {
    if (!this.db) return;
    this.statements.clear();
    this.db.close();
    this.db = undefined;
  }
}

/**
 * The settlement store in PostgreSQL (`faregate backend --db postgres://...`): several backend
 * processes (an MQTT 5 shared subscription) write to one database, that the operator's clearing
 * and reporting tools read too. The contract is SettlementStore's (src/backend/settlementStore.ts).
 *
 * One batch is ONE transaction: a multi-row `INSERT ... SELECT FROM unnest(...) ON CONFLICT (id)
 * DO NOTHING RETURNING id` (rows in id order, so two backends inserting overlapping batches lock
 * the same ids in the same order and cannot deadlock), then the ids already held compared by
 * content (`tap - 'flags'`, the whole tap as jsonb), then the per-device counters, then COMMIT.
 * `insertBatch` resolves only after the COMMIT; any error (the database restarting, a lost
 * connection, a timeout) rejects it with nothing stored, and the backend sends no ack.
 *
 * Connections come from a pool that reconnects by itself: a connection the server closed is
 * dropped (an idle one's error is logged, never thrown), and the next batch opens a new one.
 * Durability is the server's (`fsync`, `synchronous_commit`): keep them on.
 */
import pg from 'pg';
import type { TapMessage } from '../contract/settlement.ts';
import { FaregateError } from '../errors/faregateError.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import { PG_BACKEND_MIGRATIONS, PG_MIGRATION_LOCK, PG_SCHEMA_TABLE, type PgMigration } from './pgMigrations.ts';
import type { TapRange, TapReader } from './tapReader.ts';
import {
  redactDbUrl,
  type BatchMeta,
  type DeviceCounters,
  type InsertResult,
  type Report,
  type ReportRow,
  type SettlementStore,
} from './settlementStore.ts';

export interface PgStoreOptions {
  /**
   * `postgres://user:password@host:port/database` (or `postgresql://`); libpq parameters such as
   * `?sslmode=require` work.
   */
  url: string;
  /** The password, when not in the URL (from a file: `--db-password-file`); else PGPASSWORD or none. */
  password?: string;
  logger?: Logger;
  /** Open an existing store only (for reports): do not create or migrate its schema. */
  readonly?: boolean;
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  /** How long to wait for a connection (ms). Default 5000. */
  connectTimeoutMs?: number;
  /** Server-side limit of one statement (ms); a batch that cannot commit in time is not acked. Default 15000. */
  statementTimeoutMs?: number;
  /** `application_name` the server shows in pg_stat_activity. Default `faregate-backend`. */
  applicationName?: string;
  /** The schema steps (tests give a longer list to write a "newer" store). Default PG_BACKEND_MIGRATIONS. */
  migrations?: readonly PgMigration[];
}

export interface PgMigrationResult {
  from: number;
  to: number;
  applied: readonly PgMigration[];
}

/** The version a PostgreSQL store has after every step of `migrations`. */
export function latestPgVersion(migrations: readonly PgMigration[] = PG_BACKEND_MIGRATIONS): number {
  return migrations.at(-1)?.version ?? 0;
}

/** The tap's columns in insert order, with the array type `unnest` reads each from. */
const COLUMNS = [
  ['id', 'text'],
  ['device_id', 'text'],
  ['at', 'bigint'],
  ['mode', 'text'],
  ['place', 'text'],
  ['direction', 'text'],
  ['sub', 'text'],
  ['cti', 'text'],
  ['code_id', 'text'],
  ['ts', 'numeric'],
  ['seq', 'numeric'],
  ['profile', 'numeric'],
  ['fare', 'bigint'],
  ['currency', 'text'],
  ['flags', 'jsonb'],
  ['tap', 'jsonb'],
  ['format', 'text'],
] as const;

const INSERT_TAPS = `
INSERT INTO settled_taps (${COLUMNS.map(([c]) => c).join(', ')}, batch_id, received_at)
SELECT u.*, $${COLUMNS.length + 1}::text, $${COLUMNS.length + 2}::bigint
  FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
       AS u(${COLUMNS.map(([c]) => c).join(', ')})
 ORDER BY u.id COLLATE "C"
ON CONFLICT (id) DO NOTHING
RETURNING id`;

/** For each re-sent tap (by position), whether the held tap has the same content, flags aside. */
const COMPARE_HELD = `
SELECT d.ord::int AS ord, (s.tap - 'flags') = (d.tap - 'flags') AS same
  FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY AS d(id, tap, ord)
  JOIN settled_taps s ON s.id = d.id`;

const BUMP_DEVICE = `
INSERT INTO device_counters (device_id, batches, taps, duplicates, conflicts, last_batch_at)
VALUES ($1, 1, $2, $3, $4, $5)
ON CONFLICT (device_id) DO UPDATE SET batches = device_counters.batches + 1,
  taps = device_counters.taps + $2, duplicates = device_counters.duplicates + $3,
  conflicts = device_counters.conflicts + $4, last_batch_at = $5`;

/** A whole number that may pass 2^53, as the exact decimal of its value (2^60 is 1152921504606846976). */
function num(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** The URL with `password` set (pg lets a connection string's fields win over separate options). */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export class PgStore implements SettlementStore {
  readonly kind = 'postgres';
  private pool: pg.Pool | undefined;
  private readonly log: Logger;
  private readonly migrations: readonly PgMigration[];

  constructor(private readonly opts: PgStoreOptions) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'pg-store' });
    this.migrations = opts.migrations ?? PG_BACKEND_MIGRATIONS;
  }

  /** The URL with its password hidden. */
  get where(): string {
    return redactDbUrl(this.opts.url);
  }

  /** Connects, then migrates the schema (or, read-only, checks it is current). Throws if either fails. */
  async open(): Promise<this> {
    if (this.pool) return this;
    const pool = new pg.Pool({
      connectionString: withPassword(this.opts.url, this.opts.password),
      max: this.opts.poolSize ?? 4,
      connectionTimeoutMillis: this.opts.connectTimeoutMs ?? 5000,
      statement_timeout: this.opts.statementTimeoutMs ?? 15_000,
      query_timeout: (this.opts.statementTimeoutMs ?? 15_000) + 5000,
      application_name: this.opts.applicationName ?? 'faregate-backend',
      idleTimeoutMillis: 30_000,
    });
    // An idle connection closed by the server (a restart, a failover) emits here; without a
    // listener it would crash the process. The pool drops it and opens a new one when needed.
    pool.on('error', (err) => this.log.warn({ err: err.message }, 'PostgreSQL connection lost; will reconnect'));
    this.pool = pool;
    try {
      if (this.opts.readonly) await this.checkCurrent();
      else {
        const r = await this.migrate();
        if (r.applied.length) this.log.info({ from: r.from, to: r.to }, 'PostgreSQL store migrated');
      }
    } catch (e) {
      this.pool = undefined;
      await pool.end().catch(() => undefined);
      throw e;
    }
    // The planner's estimate, not count(*): a full scan of a city's table would delay every start.
    const est = await pool
      .query<{ n: number | null }>(
        "SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass('settled_taps')",
      )
      .then((r) => Math.max(0, r.rows[0]?.n ?? 0))
      .catch(() => undefined);
    this.log.info(
      { db: this.where, schema: latestPgVersion(this.migrations), tapsEstimate: est },
      'backend store open',
    );
    return this;
  }

  /**
   * A client of the pool for a transaction. While it is checked out the pool does not listen for
   * its errors (a connection the server closes mid-batch: a restart, a failover), and an unheard
   * 'error' would end the process: here it is heard, logged, and the client is discarded on release.
   */
  private async checkout(): Promise<{ client: pg.PoolClient; release: (err?: Error) => void }> {
    const client = await this.conn.connect();
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
      this.log.warn({ err: err.message }, 'PostgreSQL connection lost during a transaction');
    };
    client.on('error', onError);
    return {
      client,
      release: (err?: Error) => {
        client.off('error', onError);
        client.release(err ?? lost);
      },
    };
  }

  private get conn(): pg.Pool {
    if (!this.pool) throw new Error('backend store is not open');
    return this.pool;
  }

  private async version(client: pg.PoolClient | pg.Pool): Promise<number | undefined> {
    const t = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
    if (t.rows[0]?.t == null) return undefined;
    const v = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    return v.rows[0]?.v ?? 0;
  }

  private refuseNewer(version: number): void {
    const latest = latestPgVersion(this.migrations);
    if (version > latest)
      throw new FaregateError(
        'STORE_SCHEMA_NEWER',
        `store ${this.where} has schema ${version}, newer than this program (${latest})`,
      );
  }

  private async checkCurrent(): Promise<void> {
    const version = (await this.version(this.conn)) ?? 0;
    this.refuseNewer(version);
    if (version !== latestPgVersion(this.migrations))
      throw new FaregateError('STORE_NOT_FOUND', `${this.where} is not a faregate backend store (schema ${version})`);
  }

  /**
   * Runs every step above the store's version, each in a transaction with its `schema_migrations`
   * row, under an advisory lock (two backends starting together migrate once). Refuses a newer
   * store before touching anything.
   */
  async migrate(): Promise<PgMigrationResult> {
    this.migrations.forEach((m, i) => {
      if (m.version !== i + 1) throw new Error(`migration ${i + 1} is numbered ${m.version}`);
    });
    const { client, release } = await this.checkout();
    let broken: Error | undefined;
    try {
      await client.query(`SELECT pg_advisory_lock(${PG_MIGRATION_LOCK})`);
      try {
        await client.query(PG_SCHEMA_TABLE);
        const from = (await this.version(client)) ?? 0;
        this.refuseNewer(from);
        const applied = this.migrations.filter((m) => m.version > from);
        for (const m of applied) {
          await client.query('BEGIN');
          try {
            await client.query(m.up);
            await client.query('INSERT INTO schema_migrations (version, what) VALUES ($1, $2)', [m.version, m.what]);
            await client.query('COMMIT');
          } catch (e) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw e;
          }
        }
        return { from, to: Math.max(from, latestPgVersion(this.migrations)), applied };
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${PG_MIGRATION_LOCK})`).catch((e: Error) => (broken = e));
      }
    } finally {
      release(broken);
    }
  }

  async insertBatch(taps: readonly TapMessage[], meta: BatchMeta = {}): Promise<InsertResult> {
    const now = meta.receivedAt ?? Date.now();
    // The first occurrence of each id is inserted (as the SQLite store does); repeats inside the
    // batch are duplicates, compared with it like any re-sent tap.
    const first = new Map<string, TapMessage>();
    for (const t of taps) if (!first.has(t.id)) first.set(t.id, t);
    const rows = [...first.values()];
    const cols: unknown[][] = COLUMNS.map(() => []);
    for (const t of rows) {
      const values = [
        t.id,
        t.deviceId,
        t.at,
        t.mode,
        t.place,
        t.direction,
        t.sub,
        t.cti,
        t.codeId,
        num(t.ts),
        num(t.seq),
        num(t.profile),
        t.fare ?? null,
        t.currency,
        t.flags?.length ? JSON.stringify(t.flags) : null,
        JSON.stringify(t),
        t.format ?? null,
      ];
      values.forEach((v, i) => cols[i]!.push(v));
    }

    const { client, release } = await this.checkout();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const ins = await client.query<{ id: string }>(INSERT_TAPS, [...cols, meta.batchId ?? null, now]);
      const fresh = new Set(ins.rows.map((r) => r.id));
      // Every occurrence that did not insert a row: ids held before, and repeats inside the batch.
      const counted = new Set<string>();
      const resent: TapMessage[] = [];
      const perDevice = new Map<string, { taps: number; dups: number; conflicts: number }>();
      const device = (id: string) => {
        let c = perDevice.get(id);
        if (!c) perDevice.set(id, (c = { taps: 0, dups: 0, conflicts: 0 }));
        return c;
      };
      for (const t of taps) {
        if (fresh.has(t.id) && !counted.has(t.id)) {
          counted.add(t.id);
          device(t.deviceId).taps++;
        } else {
          resent.push(t);
          device(t.deviceId).dups++;
        }
      }
      const conflicts: string[] = [];
      const firstCopyKept: string[] = [];
      if (resent.length) {
        const cmp = await client.query<{ ord: number; same: boolean }>(COMPARE_HELD, [
          resent.map((t) => t.id),
          resent.map((t) => JSON.stringify(t)),
        ]);
        const differs = new Set(cmp.rows.filter((r) => !r.same).map((r) => r.ord - 1));
        resent.forEach((t, i) => {
          if (!differs.has(i)) return;
          conflicts.push(t.id);
          if (fresh.has(t.id)) firstCopyKept.push(t.id);
          device(t.deviceId).conflicts++;
        });
      }
      for (const d of [...perDevice.keys()].sort()) {
        const c = perDevice.get(d)!;
        await client.query(BUMP_DEVICE, [d, c.taps, c.dups, c.conflicts, now]);
      }
      await client.query('COMMIT');
      return {
        inserted: counted.size,
        duplicates: resent.length,
        conflicts,
        ...(firstCopyKept.length ? { firstCopyKept } : {}),
      };
    } catch (e) {
      // Nothing of the batch is stored. A connection that failed mid-transaction is not reused.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw e;
    } finally {
      release(broken);
    }
  }

  async recordMalformed(deviceId: string): Promise<void> {
    await this.conn.query(
      `INSERT INTO device_counters (device_id, malformed) VALUES ($1, 1)
         ON CONFLICT (device_id) DO UPDATE SET malformed = device_counters.malformed + 1`,
      [deviceId],
    );
  }

  async has(id: string): Promise<boolean> {
    return (await this.conn.query('SELECT 1 FROM settled_taps WHERE id = $1', [id])).rowCount === 1;
  }

  async count(): Promise<number> {
    const r = await this.conn.query<{ n: string }>('SELECT count(*) AS n FROM settled_taps');
    return Number(r.rows[0]!.n);
  }

  async tapIds(): Promise<string[]> {
    const r = await this.conn.query<{ id: string }>('SELECT id FROM settled_taps ORDER BY id COLLATE "C"');
    return r.rows.map((x) => x.id);
  }

  /** The stored taps, whole (every field the validator sent, from the jsonb column), in `at` then id order. */
  async taps(range: { fromMs?: number; toMs?: number } = {}): Promise<TapMessage[]> {
    const r = await this.conn.query<{ tap: TapMessage }>(
      `SELECT tap FROM settled_taps
        WHERE ($1::bigint IS NULL OR at >= $1::bigint) AND ($2::bigint IS NULL OR at < $2::bigint)
        ORDER BY at, id COLLATE "C"`,
      [range.fromMs ?? null, range.toMs ?? null],
    );
    return r.rows.map((x) => x.tap);
  }

  async devices(): Promise<DeviceCounters[]> {
    const r = await this.conn.query<Record<string, string | null>>(
      `SELECT device_id, batches, malformed, taps, duplicates, conflicts, last_batch_at
         FROM device_counters ORDER BY device_id COLLATE "C"`,
    );
    return r.rows.map((x) => ({
      deviceId: x.device_id!,
      batches: Number(x.batches),
      malformed: Number(x.malformed),
      taps: Number(x.taps),
      duplicates: Number(x.duplicates),
      conflicts: Number(x.conflicts),
      lastBatchAt: x.last_batch_at === null ? null : Number(x.last_batch_at),
    }));
  }

  async report(): Promise<Report> {
    const r = await this.conn.query<Record<string, string>>(
      `SELECT to_char(to_timestamp(at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, device_id, profile, currency,
              count(*) AS taps, count(fare) AS priced, coalesce(sum(fare), 0) AS fare_total
         FROM settled_taps
        GROUP BY day, device_id, profile, currency
        ORDER BY day, device_id COLLATE "C", profile, currency COLLATE "C"`,
    );
    const rows: ReportRow[] = r.rows.map((x) => ({
      day: x.day!,
      deviceId: x.device_id!,
      profile: Number(x.profile),
      currency: x.currency!,
      taps: Number(x.taps),
      priced: Number(x.priced),
      fareTotal: Number(x.fare_total),
    }));
    const fareTotals: Record<string, number> = {};
    let taps = 0;
    let priced = 0;
    for (const row of rows) {
      taps += row.taps;
      priced += row.priced;
      fareTotals[row.currency] = (fareTotals[row.currency] ?? 0) + row.fareTotal;
    }
    return { rows, devices: await this.devices(), totals: { taps, priced, fareTotals } };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    this.pool = undefined;
    await pool.end();
  }
}

/** The report's read of a PostgreSQL backend store (`backend report --db postgres://…`): src/backend/tapReader.ts. */
export class PgTapReader implements TapReader {
  constructor(private readonly store: PgStore) {}

  /** `from` inclusive, `to` exclusive (Unix ms), as the SQLite reader. */
  taps(range: TapRange): Promise<TapMessage[]> {
    return this.store.taps({
      ...(range.from !== undefined ? { fromMs: range.from } : {}),
      ...(range.to !== undefined ? { toMs: range.to } : {}),
    });
  }

  devices(): Promise<DeviceCounters[]> {
    return this.store.devices();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

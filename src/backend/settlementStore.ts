/**
 * The store behind the settlement backend, whichever database holds it: the embedded SQLite file
 * (`BackendStore`, src/backend/backendStore.ts) or PostgreSQL (`PgStore`, src/backend/pgStore.ts).
 *
 * The contract every implementation keeps (settlement-mqtt-v1 and its Amendment 1):
 * - `insertBatch` stores a batch's taps idempotently by tap id in ONE transaction, with the
 *   per-device counters, and resolves only after that transaction committed (the backend acks
 *   then, never before). It rejects when it could not commit: then nothing of the batch was
 *   stored, and the backend sends no ack (the validator re-sends).
 * - A tap id already held counts as a duplicate; a duplicate whose content differs from the held
 *   tap (flags aside: local annotations that may change between re-sends) is a conflict, and the
 *   held tap is kept.
 *
 * Methods may answer synchronously (SQLite) or with a promise (PostgreSQL); callers await them.
 */
import type { TapMessage } from '../contract/settlement.ts';

export type Awaitable<T> = T | Promise<T>;

export interface InsertResult {
  /** Taps stored now for the first time. */
  inserted: number;
  /** Taps whose id was already held (replays), including repeats inside the same batch. */
  duplicates: number;
  /** Duplicates whose content differs from the stored tap (an id reused: a validator bug). */
  conflicts: string[];
  /**
   * Those of `conflicts` whose stored copy came earlier in this same batch (stored now): they are
   * settled, not rejected. Absent = none.
   */
  firstCopyKept?: string[];
}

export interface DeviceCounters {
  deviceId: string;
  /** Valid batches received (replays included). */
  batches: number;
  /** Batches rejected as malformed (not acknowledged). */
  malformed: number;
  /** Taps stored. */
  taps: number;
  /** Taps received again after they were stored. */
  duplicates: number;
  /** Duplicates whose content differed from the stored tap. */
  conflicts: number;
  lastBatchAt: number | null;
}

export interface ReportRow {
  /** UTC day of the tap's `at`, YYYY-MM-DD. */
  day: string;
  deviceId: string;
  profile: number;
  currency: string;
  /** Settled taps. */
  taps: number;
  /** Taps that carried a fare (the others are priced later, e.g. metro tap-in). */
  priced: number;
  /** Sum of the fares carried, in the currency's minor unit. */
  fareTotal: number;
}

export interface Report {
  rows: ReportRow[];
  devices: DeviceCounters[];
  totals: { taps: number; priced: number; fareTotals: Record<string, number> };
}

export interface BatchMeta {
  batchId?: string;
  receivedAt?: number;
}

/** Sentinel device for batches whose topic does not name a valid device id. */
export const UNKNOWN_DEVICE = '?';

export interface SettlementStore {
  /** Which database holds the store. */
  readonly kind: 'sqlite' | 'postgres';
  /** Stores the taps idempotently in one transaction; resolves after the commit (see above). */
  insertBatch(taps: readonly TapMessage[], meta?: BatchMeta): Awaitable<InsertResult>;
  /** Counts a malformed batch against the device named by its topic (or UNKNOWN_DEVICE). */
  recordMalformed(deviceId: string): Awaitable<void>;
  /** Settled taps held. */
  count(): Awaitable<number>;
  /** Every stored tap id (for tests and audits), in id order. */
  tapIds(): Awaitable<string[]>;
  devices(): Awaitable<DeviceCounters[]>;
  /** Settled taps and fare sums per UTC day, device, profile and currency. */
  report(): Awaitable<Report>;
  close(): Awaitable<void>;
}

/** Whether `--db` names a PostgreSQL database (a `postgres://` or `postgresql://` URL) rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL with its password hidden, for logs and messages. */
export function redactDbUrl(db: string): string {
  return isPostgresUrl(db) ? db.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@') : db;
}

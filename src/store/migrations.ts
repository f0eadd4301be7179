/**
 * Versioned schema migrations for faregate's SQLite files (the validator's store and the
 * backend's store). The schema version is SQLite's `PRAGMA user_version`; each numbered step runs
 * in its own transaction together with the version bump, so a store is always at one whole
 * version. A store whose version is higher than the last step is refused (STORE_SCHEMA_NEWER,
 * FG-203) and left untouched: a newer faregate wrote it and this one must not guess.
 *
 * Rules for a new step: append it (never edit a released one), use `IF NOT EXISTS` where a table
 * may already be there, and keep it fast (it runs inside `open`, before the gate serves riders).
 */
import type Database from 'better-sqlite3';
import { FaregateError } from '../errors/faregateError.ts';

export interface Migration {
  /** 1, 2, 3, …: the `user_version` the store has after this step. */
  readonly version: number;
  /** What the step does, for the log. */
  readonly what: string;
  /** SQL run with `exec`, or a function given the connection (inside the step's transaction). */
  readonly up: string | ((db: Database.Database) => void);
}

/** The validator's store (src/store/tapStore.ts). */
export const TAP_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'taps and decision events',
    up: `
CREATE TABLE IF NOT EXISTS taps (
  seqno      INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  device_id  TEXT NOT NULL,
  at         INTEGER NOT NULL,
  mode       TEXT NOT NULL,
  place      TEXT NOT NULL,
  direction  TEXT NOT NULL,
  sub        TEXT NOT NULL,
  cti        TEXT NOT NULL,
  code_id    TEXT NOT NULL,
  ts         INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  profile    INTEGER NOT NULL,
  fare       INTEGER,
  currency   TEXT NOT NULL,
  flags      TEXT,
  settled    INTEGER NOT NULL DEFAULT 0,
  settled_at INTEGER,
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_sent_at INTEGER,
  next_attempt_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS taps_unsettled ON taps(settled, seqno);
CREATE INDEX IF NOT EXISTS taps_due ON taps(settled, next_attempt_at, seqno);
CREATE INDEX IF NOT EXISTS taps_at ON taps(at);
CREATE TABLE IF NOT EXISTS events (
  seqno   INTEGER PRIMARY KEY AUTOINCREMENT,
  at      INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  reason  TEXT NOT NULL,
  code_id TEXT,
  sub     TEXT
);
`,
  },
  {
    // Before this step src/policy/gateModes.ts and src/fleet/commandLedger.ts created these
    // tables themselves (same SQL), so a version-1 store may already hold them.
    version: 2,
    what: 'gate modes and the remote-command ledger',
    up: `
CREATE TABLE IF NOT EXISTS gate_modes (
  name  TEXT PRIMARY KEY,
  is_on INTEGER NOT NULL,
  since INTEGER NOT NULL,
  by    TEXT
);
CREATE TABLE IF NOT EXISTS command_ids (
  id         TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  seen_at    INTEGER NOT NULL,
  cmd        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS command_ids_expiry ON command_ids(expires_at);
`,
  },
  {
    // settlement-mqtt-v1 Amendment 1: a tap the backend refused in a signed ack's `rejected`.
    // It stays `settled = 0` (never counted as settled), is never sent again, and is purged
    // like a settled tap, by `rejected_at`, after the settled-tap retention.
    version: 3,
    what: 'taps rejected by the backend (marker, reason, time)',
    up: `
ALTER TABLE taps ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE taps ADD COLUMN rejected_reason TEXT;
ALTER TABLE taps ADD COLUMN rejected_at INTEGER;
CREATE INDEX IF NOT EXISTS taps_rejected ON taps(rejected) WHERE rejected = 1;
`,
  },
  {
    // Shared replay memory (docs/replay-sharing.md): what this gate heard from the other gates of
    // its group and merged, so a restart does not forget it (src/store/groupAccepts.ts). Pruned
    // by `expires_at` (acceptance time + the replay retention) in the housekeeping.
    version: 4,
    what: 'accepts merged from the gates of the group',
    up: `
CREATE TABLE IF NOT EXISTS group_accepts (
  code_id    TEXT PRIMARY KEY,
  sub        TEXT NOT NULL,
  at         INTEGER NOT NULL,
  from_gate  TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_accepts_expiry ON group_accepts(expires_at);
`,
  },
  {
    // The credential's per-trip cap on the tap (settlement-mqtt-v1 project extension `cap`), so
    // the backend can honour it when it prices the journey. NULL: the credential has none.
    version: 5,
    what: "taps carry the credential's per-trip cap",
    up: `ALTER TABLE taps ADD COLUMN cap INTEGER;`,
  },
  {
    // The ride-code format that decided (fg1, jtt1179; a project extension of settlement-mqtt-v1
    // like `cap`). NULL: a tap written before, when the validator read FG1 only.
    version: 6,
    what: 'taps record the ride-code format that decided',
    up: `ALTER TABLE taps ADD COLUMN format TEXT;`,
  },
];

/** The backend's store of settled taps (src/backend/backendStore.ts). */
export const BACKEND_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'settled taps and per-device counters',
    up: `
CREATE TABLE IF NOT EXISTS settled_taps (
  id          TEXT PRIMARY KEY,
  device_id   TEXT NOT NULL,
  at          INTEGER NOT NULL,
  mode        TEXT NOT NULL,
  place       TEXT NOT NULL,
  direction   TEXT NOT NULL,
  sub         TEXT NOT NULL,
  cti         TEXT NOT NULL,
  code_id     TEXT NOT NULL,
  ts          INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  profile     INTEGER NOT NULL,
  fare        INTEGER,
  currency    TEXT NOT NULL,
  flags       TEXT,
  batch_id    TEXT,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS settled_taps_device_at ON settled_taps(device_id, at);
CREATE TABLE IF NOT EXISTS device_counters (
  device_id     TEXT PRIMARY KEY,
  batches       INTEGER NOT NULL DEFAULT 0,
  malformed     INTEGER NOT NULL DEFAULT 0,
  taps          INTEGER NOT NULL DEFAULT 0,
  duplicates    INTEGER NOT NULL DEFAULT 0,
  conflicts     INTEGER NOT NULL DEFAULT 0,
  last_batch_at INTEGER
) WITHOUT ROWID;
`,
  },
  {
    // The tap's `cap` (settlement-mqtt-v1 project extension): the fare engine honours it.
    version: 2,
    what: "settled taps carry the credential's per-trip cap",
    up: `ALTER TABLE settled_taps ADD COLUMN cap INTEGER;`,
  },
  {
    // The tap's `format` (project extension): which ride-code format decided; NULL on older taps.
    version: 3,
    what: 'settled taps record the ride-code format that decided',
    up: `ALTER TABLE settled_taps ADD COLUMN format TEXT;`,
  },
];

/** The version a store has after every step of `migrations`. */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses a store written by a newer faregate (STORE_SCHEMA_NEWER); `file` names it in the message. */
export function refuseNewer(db: Database.Database, migrations: readonly Migration[], file: string): number {
  const version = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (version > latest) {
    const message = `store ${file} has schema ${version}, newer than this program (${latest})`;
    throw new FaregateError('STORE_SCHEMA_NEWER', message);
  }
  return version;
}

export interface MigrationResult {
  from: number;
  to: number;
  /** The steps run, in order (empty when the store was current). */
  applied: readonly Migration[];
}

/**
 * Brings the store to the last version of `migrations`: runs every step above its
 * `user_version`, each in a transaction with its version bump (a failing step leaves the store
 * at the version before it, and throws). Refuses a newer store before touching anything.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[], file: string): MigrationResult {
  checkSteps(migrations);
  const from = refuseNewer(db, migrations, file);
  const applied = migrations.filter((m) => m.version > from);
  for (const m of applied) {
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, latestVersion(migrations)), applied };
}

/** The steps are numbered 1, 2, 3, … without a gap (a programming error otherwise). */
function checkSteps(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i + 1} is numbered ${m.version}`);
  });
}

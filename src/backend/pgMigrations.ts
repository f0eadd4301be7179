/**
 * The PostgreSQL settlement store's schema, as numbered steps (the SQLite store's are
 * BACKEND_STORE_MIGRATIONS in src/store/migrations.ts). Append a step; never edit a released one.
 * The applied versions are rows of `schema_migrations`; each step runs in its own transaction
 * with its row, under an advisory lock so backends starting together migrate once.
 *
 * Columns: every TapSchema field (ts, seq and profile are `numeric`: a ride code may carry any
 * uint, past 2^63), plus the whole tap as `jsonb` so a field added to the contract later is kept
 * and compared without a new column.
 */
export interface PgMigration {
  version: number;
  what: string;
  up: string;
}

export const PG_BACKEND_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    what: 'settled taps and per-device counters',
    up: `
CREATE TABLE settled_taps (
  id          text PRIMARY KEY,
  device_id   text NOT NULL,
  at          bigint NOT NULL,
  mode        text NOT NULL,
  place       text NOT NULL,
  direction   text NOT NULL,
  sub         text NOT NULL,
  cti         text NOT NULL,
  code_id     text NOT NULL,
  ts          numeric NOT NULL,
  seq         numeric NOT NULL,
  profile     numeric NOT NULL,
  fare        bigint,
  currency    text NOT NULL,
  flags       jsonb,
  tap         jsonb NOT NULL,
  batch_id    text,
  received_at bigint NOT NULL
);
CREATE INDEX settled_taps_device_at ON settled_taps (device_id, at);
CREATE INDEX settled_taps_at ON settled_taps (at);
CREATE TABLE device_counters (
  device_id     text PRIMARY KEY,
  batches       bigint NOT NULL DEFAULT 0,
  malformed     bigint NOT NULL DEFAULT 0,
  taps          bigint NOT NULL DEFAULT 0,
  duplicates    bigint NOT NULL DEFAULT 0,
  conflicts     bigint NOT NULL DEFAULT 0,
  last_batch_at bigint
);
`,
  },
  {
    // The tap's `format` (project extension, like `cap`): which ride-code format decided, as a
    // column for reports by format; the jsonb tap has carried it since taps carry it.
    version: 2,
    what: 'settled taps record the ride-code format that decided',
    up: `
ALTER TABLE settled_taps ADD COLUMN format text;
UPDATE settled_taps SET format = tap->>'format' WHERE tap ? 'format';
`,
  },
];

export const PG_SCHEMA_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  what       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Key of the advisory lock held while migrating ('faregate' as a number). */
export const PG_MIGRATION_LOCK = '7377303444461286501';

/**
 * The store's versioned migrations (src/store/migrations.ts) on real SQLite files: a new store
 * gets every step; a store written by the code before migrations (schema 1, built here from that
 * code's SQL) keeps its taps and gains the tables of step 2; a store where the gate modes and
 * the command ledger had already created their tables migrates too; a failing step leaves the
 * store at the version before it; a store from a newer faregate is refused and left untouched.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendStore } from '../../src/backend/backendStore.ts';
import { FaregateError, isFaregateError } from '../../src/errors/faregateError.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import {
  latestVersion,
  migrate,
  schemaVersion,
  TAP_STORE_MIGRATIONS,
  type Migration,
} from '../../src/store/migrations.ts';

const LATEST = latestVersion(TAP_STORE_MIGRATIONS);
import { TapStore } from '../../src/store/tapStore.ts';

/** The schema of src/store/tapStore.ts before migrations (user_version 1), verbatim. */
const SCHEMA_BEFORE_MIGRATIONS = `
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
`;
/** What src/policy/gateModes.ts and src/fleet/commandLedger.ts created on attach, verbatim. */
const SELF_CREATED_TABLES = `
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
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faregate-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function storeAt(file: string): TapStore {
  const s = new TapStore({ file, synchronous: 'NORMAL', logger: silentLogger });
  s.open();
  return s;
}

function tables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const names = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    return names.filter((n) => !n.startsWith('sqlite_'));
  } finally {
    db.close();
  }
}

function versionOf(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}

/** A store file as the code before migrations left it: schema 1, one tap, one event. */
function storeOfVersion1(file: string, extra = ''): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_BEFORE_MIGRATIONS + extra);
  db.pragma('user_version = 1');
  db.prepare(
    `INSERT INTO taps (id, device_id, at, mode, place, direction, sub, cti, code_id, ts, seq, profile, fare,
                       currency, flags)
     VALUES ('t-1', 'gate-7', 1700000000000, 'metro', 'st-1', 'in', 'ab', 'cd', 'ef', 1700000000, 3, 0, NULL,
             'EUR', '["stale_lists"]')`,
  ).run();
  db.prepare("INSERT INTO events (at, kind, reason) VALUES (1700000000001, 'reject', 'expired')").run();
  db.close();
}

describe('the validator store', () => {
  it("a new store gets every step: taps, events, gate modes, the command ledger, the group's accepts", () => {
    const file = join(dir, 'faregate.sqlite');
    storeAt(file).close();
    expect(tables(file)).toEqual(['command_ids', 'events', 'gate_modes', 'group_accepts', 'taps']);
    expect(versionOf(file)).toBe(TAP_STORE_MIGRATIONS.at(-1)!.version);
  });

  it('a store written before migrations (schema 1) keeps its taps and events and gains the step-2 tables', () => {
    const file = join(dir, 'faregate.sqlite');
    storeOfVersion1(file);
    const s = storeAt(file);
    expect(s.tap('t-1')).toEqual({
      id: 't-1',
      deviceId: 'gate-7',
      at: 1700000000000,
      mode: 'metro',
      place: 'st-1',
      direction: 'in',
      sub: 'ab',
      cti: 'cd',
      codeId: 'ef',
      ts: 1700000000,
      seq: 3,
      profile: 0,
      currency: 'EUR',
      flags: ['stale_lists'],
      settled: false,
    });
    expect(s.counts()).toEqual({ taps: 1, unsettled: 1, events: 1 });
    s.close();
    expect(tables(file)).toEqual(['command_ids', 'events', 'gate_modes', 'group_accepts', 'taps']);
    expect(versionOf(file)).toBe(LATEST);
    // step 5: the credential's per-trip cap, NULL for the taps stored before it (read as none, above)
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT name FROM pragma_table_info('taps')").pluck().all()).toContain('cap');
    db.close();
  });

  it('a schema-1 store where the gate modes and the command ledger created their own tables keeps their rows', () => {
    const file = join(dir, 'faregate.sqlite');
    storeOfVersion1(file, SELF_CREATED_TABLES);
    const db = new Database(file);
    db.prepare("INSERT INTO gate_modes (name, is_on, since, by) VALUES ('free_pass', 1, 1700000000000, 'cmd-1')").run();
    db.prepare(
      "INSERT INTO command_ids (id, expires_at, seen_at, cmd) VALUES ('cmd-1', 1700000600, 1700000000000, 'set_mode')",
    ).run();
    db.close();
    storeAt(file).close();
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT name, is_on, since, by FROM gate_modes').all()).toEqual([
      { name: 'free_pass', is_on: 1, since: 1700000000000, by: 'cmd-1' },
    ]);
    expect(after.prepare('SELECT id, cmd FROM command_ids').all()).toEqual([{ id: 'cmd-1', cmd: 'set_mode' }]);
    after.close();
    expect(versionOf(file)).toBe(LATEST);
  });

  it('opening a current store again changes nothing', () => {
    const file = join(dir, 'faregate.sqlite');
    storeAt(file).close();
    const db = new Database(file);
    expect(migrate(db, TAP_STORE_MIGRATIONS, file)).toEqual({ from: LATEST, to: LATEST, applied: [] });
    db.close();
  });

  it('a store from a newer faregate is refused with STORE_SCHEMA_NEWER (FG-203) and left at its version', () => {
    const file = join(dir, 'faregate.sqlite');
    storeOfVersion1(file);
    const db = new Database(file);
    db.pragma('user_version = 9');
    db.close();
    let error: unknown;
    try {
      storeAt(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaregateError);
    expect((error as FaregateError).code).toBe('STORE_SCHEMA_NEWER');
    expect((error as FaregateError).tag).toBe('FG-203');
    expect((error as FaregateError).message).toBe(`store ${file} has schema 9, newer than this program (${LATEST})`);
    expect(versionOf(file)).toBe(9);
    expect(tables(file)).toEqual(['events', 'taps']);
  });
});

describe('migrate', () => {
  it('runs each step in a transaction: a failing step leaves the store at the version before it', () => {
    const db = new Database(join(dir, 'x.sqlite'));
    const steps: Migration[] = [
      { version: 1, what: 'a', up: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, what: 'b then a mistake', up: 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(db, steps, 'x.sqlite')).toThrow(/nowhere/);
    expect(schemaVersion(db)).toBe(1);
    // Nothing of the failed step is left (table b is not half-made).
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual([
      'a',
    ]);
    db.close();
  });

  it('refuses a list of steps with a gap in the numbers', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [{ version: 2, what: 'x', up: '' }], ':memory:')).toThrow('migration 1 is numbered 2');
    db.close();
  });
});

describe('the backend store', () => {
  it('uses the same mechanism: a new store is at version 3; a newer one is refused, also read-only', () => {
    const file = join(dir, 'backend.sqlite');
    new BackendStore({ file }).open().close();
    expect(versionOf(file)).toBe(3);
    expect(tables(file)).toEqual(['device_counters', 'settled_taps']);
    const db = new Database(file);
    db.pragma('user_version = 5');
    db.close();
    for (const readonly of [false, true]) {
      let error: unknown;
      try {
        new BackendStore({ file, readonly }).open();
      } catch (e) {
        error = e;
      }
      expect(isFaregateError(error, 'STORE_SCHEMA_NEWER'), `readonly: ${readonly}`).toBe(true);
    }
    expect(versionOf(file)).toBe(5);
  });
});

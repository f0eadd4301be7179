/**
 * The accepts a gate merged from its group, kept in a real SQLite tap store (src/store/
 * groupAccepts.ts, TAP_STORE step 4): queued by `record` and written in one batch a moment later
 * (not by `record` itself, so never inside a decision); read back within the replay retention,
 * oldest first; expired ones pruned through the expiry index; a failed write is dropped and
 * counted, never thrown.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/platform/logger.ts';
import { GroupAccepts } from '../../src/store/groupAccepts.ts';
import { TapStore } from '../../src/store/tapStore.ts';
import { captureLogger } from '../support/captureLogger.ts';

let dir: string;
let store: TapStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faregate-group-accepts-'));
  store = new TapStore({ file: join(dir, 'faregate.sqlite'), synchronous: 'NORMAL', logger: silentLogger });
  store.open();
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const RETENTION_MS = 3_660_000;
const T0 = 1_800_000_000_000;
const entry = (n: number, at = T0 + n) => ({ codeId: `${n}`.padStart(32, '0'), sub: 'ab', at, fromGate: 'gate-1' });

/** The rows as another connection reads them from the file. */
function rowsInFile(): { code_id: string; from_gate: string; at: number; expires_at: number }[] {
  const db = new Database(join(dir, 'faregate.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT code_id, from_gate, at, expires_at FROM group_accepts ORDER BY at').all() as never;
  } finally {
    db.close();
  }
}

describe('accepts merged from the group, kept in the tap store', () => {
  it('are queued by record and written together after flushAfterMs, with their expiry', async () => {
    const kept = new GroupAccepts({
      db: () => store.database,
      retentionMs: RETENTION_MS,
      log: silentLogger,
      flushAfterMs: 50,
    });
    kept.record(entry(1));
    kept.record(entry(2));
    expect(rowsInFile()).toEqual([]); // record never writes
    await new Promise((r) => setTimeout(r, 150));
    expect(rowsInFile()).toEqual([
      { code_id: entry(1).codeId, from_gate: 'gate-1', at: T0 + 1, expires_at: T0 + 1 + RETENTION_MS },
      { code_id: entry(2).codeId, from_gate: 'gate-1', at: T0 + 2, expires_at: T0 + 2 + RETENTION_MS },
    ]);
    expect(kept.written).toBe(2);
  });

  it('are read back within the retention, oldest first, and survive a reopen of the file', () => {
    const kept = new GroupAccepts({ db: () => store.database, retentionMs: RETENTION_MS, log: silentLogger });
    kept.record(entry(3, T0 + 3000));
    kept.record(entry(1, T0 + 1000));
    kept.record(entry(2, T0 - RETENTION_MS)); // expired by now
    kept.close();
    store.close();
    store.open();
    const again = new GroupAccepts({ db: () => store.database, retentionMs: RETENTION_MS, log: silentLogger });
    const now = T0 + 5000;
    expect(again.since(now - RETENTION_MS, now).map((e) => e.codeId)).toEqual([entry(1).codeId, entry(3).codeId]);
    expect(again.since(now - RETENTION_MS, now)[0]).toEqual(entry(1, T0 + 1000));
  });

  it('prunes what has expired through the expiry index, keeping the rest', () => {
    const kept = new GroupAccepts({ db: () => store.database, retentionMs: RETENTION_MS, log: silentLogger });
    for (let i = 0; i < 5; i++) kept.record(entry(i, T0 + i * 1000));
    kept.flush();
    expect(kept.prune(T0 + 2000 + RETENTION_MS)).toBe(3);
    expect(rowsInFile().map((r) => r.at)).toEqual([T0 + 3000, T0 + 4000]);
    const plan = store.database
      .prepare('EXPLAIN QUERY PLAN DELETE FROM group_accepts WHERE expires_at <= ?')
      .all(T0) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('group_accepts_expiry');
  });

  it('a code heard twice is kept once; after close nothing more is taken', () => {
    const kept = new GroupAccepts({ db: () => store.database, retentionMs: RETENTION_MS, log: silentLogger });
    kept.record(entry(1));
    kept.record({ ...entry(1), fromGate: 'gate-3' });
    kept.close();
    kept.record(entry(2));
    kept.flush();
    expect(rowsInFile().map((r) => [r.code_id, r.from_gate])).toEqual([[entry(1).codeId, 'gate-1']]);
  });

  it('a write that fails is logged and counted as dropped, never thrown', () => {
    const log = captureLogger();
    const kept = new GroupAccepts({ db: () => store.database, retentionMs: RETENTION_MS, log });
    kept.record(entry(1));
    store.close(); // the connection is gone
    expect(kept.flush()).toBe(0);
    expect(kept.dropped).toBe(1);
    expect(log.lines.find((l) => l.msg === 'could not keep accepts of the group')).toMatchObject({ entries: 1 });
    store.open();
  });
});

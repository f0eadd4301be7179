/**
 * A tap records which ride-code format decided it (`format`: fg1 | jtt1179, an optional project
 * extension of settlement-mqtt-v1): a message without it still parses (old validators), the
 * validator's store and the backend stores (SQLite, PostgreSQL) keep it through their migration
 * steps, a tap stored before the step reads back without it, `faregate taps` shows it and
 * `faregate backend report --by format` sums journeys by it (absent = fg1).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendStore } from '../../src/backend/backendStore.ts';
import { PgStore } from '../../src/backend/pgStore.ts';
import type { FareReport } from '../../src/cli/commands/backendReport.ts';
import { tapFromMessage, tapToMessage, type TapMessage } from '../../src/contract/settlement.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { StoreReader } from '../../src/store/storeReader.ts';
import { TapStore } from '../../src/store/tapStore.ts';
import { makeTap, tempDir } from '../backend/fakeGate.ts';
import { runFaregate } from '../support/cli.ts';
import { describeWithPostgres, startPostgres } from '../support/postgres.ts';

const tmp = tempDir('faregate-tap-format-');
afterAll(() => tmp.cleanup());

describe('the tap message', () => {
  it('carries format when the tap has one, and parses without it (a tap from an older validator)', () => {
    const jtt = makeTap('bus-1', { format: 'jtt1179' });
    expect(tapToMessage(jtt).format).toBe('jtt1179');
    expect(tapFromMessage(JSON.parse(JSON.stringify(tapToMessage(jtt)))).format).toBe('jtt1179');
    const old = makeTap('bus-1');
    expect('format' in tapToMessage(old)).toBe(false);
    expect(tapFromMessage(old).format).toBeUndefined();
  });

  it('refuses a format that is not fg1 or jtt1179', () => {
    expect(() => tapFromMessage({ ...makeTap('bus-1'), format: 'fg2' })).toThrow();
  });
});

describe("the validator's store", () => {
  it('keeps the format of each tap; one without (NULL, as taps from before step 6) reads back without one', () => {
    const gateDir = join(tmp.dir, 'gate');
    mkdirSync(gateDir);
    const file = join(gateDir, 'faregate.sqlite');
    const store = new TapStore({ file, synchronous: 'NORMAL', logger: silentLogger });
    store.open();
    const jtt = makeTap('gate-1', { format: 'jtt1179' });
    const fg1 = makeTap('gate-1', { format: 'fg1' });
    const before = makeTap('gate-1');
    store.recordTap(jtt);
    store.recordTap(fg1);
    store.recordTap(before);
    store.close();
    const db = new Database(file);
    expect(db.prepare('SELECT format FROM taps WHERE id = ?').pluck().get(before.id)).toBeNull();
    db.close();
    const reader = StoreReader.open(gateDir);
    const view = reader.taps({ limit: 10, unsettledOnly: false });
    reader.close();
    const byId = new Map(view.taps.map((t) => [t.id, t]));
    expect(byId.get(jtt.id)?.format).toBe('jtt1179');
    expect(byId.get(fg1.id)?.format).toBe('fg1');
    expect(byId.get(before.id)?.format).toBeUndefined();
  });
});

describe('the backend (SQLite) and its report', () => {
  const db = join(tmp.dir, 'backend.sqlite');
  const jttTap = makeTap('bus-1', { format: 'jtt1179', fare: 150 });

  it('stores the format; the same tap re-sent is a duplicate, with another format a conflict', () => {
    const store = new BackendStore({ file: db }).open();
    const taps: TapMessage[] = [jttTap, makeTap('bus-1', { format: 'fg1' }), makeTap('bus-1')];
    expect(store.insertBatch(taps)).toMatchObject({ inserted: 3, duplicates: 0, conflicts: [] });
    expect(store.insertBatch([jttTap])).toMatchObject({ inserted: 0, duplicates: 1, conflicts: [] });
    expect(store.insertBatch([{ ...jttTap, format: 'fg1' }]).conflicts).toEqual([jttTap.id]);
    store.close();
  });

  it('faregate backend report --by format: one row per format, a tap without one counted as fg1', async () => {
    const r = await runFaregate(['backend', 'report', '--db', db, '--by', 'format', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as FareReport;
    expect(report.rows.map((x) => [x.key, x.journeys])).toEqual([
      ['fg1', 2],
      ['jtt1179', 1],
    ]);
    const table = await runFaregate(['backend', 'report', '--db', db, '--by', 'format']);
    expect(table.stdout).toMatch(/^format\s+journeys/m);
    expect(table.stdout).toMatch(/^jtt1179\s+1\s+1\s/m);
  });
});

describeWithPostgres('the backend (PostgreSQL)', () => {
  it('step 2 adds the format column; taps keep their format', async () => {
    const pg = await startPostgres();
    try {
      const store = await new PgStore({ url: pg.url }).open();
      const jtt = makeTap('bus-1', { format: 'jtt1179' });
      const old = makeTap('bus-1');
      await store.insertBatch([jtt, old]);
      const back = await store.taps();
      expect(back.find((t) => t.id === jtt.id)?.format).toBe('jtt1179');
      expect(back.find((t) => t.id === old.id)?.format).toBeUndefined();
      const rows = await pg.query<{ id: string; format: string | null }>('SELECT id, format FROM settled_taps');
      expect(new Map(rows.map((x) => [x.id, x.format]))).toEqual(
        new Map([
          [jtt.id, 'jtt1179'],
          [old.id, null],
        ]),
      );
      const conflict = await store.insertBatch([{ ...jtt, format: 'fg1' }]);
      expect(conflict.conflicts).toEqual([jtt.id]);
      await store.close();
    } finally {
      await pg.destroy();
    }
  }, 90_000);
});

/**
 * `faregate backend report` (the real CLI, as a child process) on a real SQLite backend store:
 * the settled taps priced into journeys by the fare file (the shipped example by default), per
 * business day, profile, station pair or device; amounts as currency, profile names, flags;
 * `--json` and `--csv` shapes; bad arguments and fare files exit 2 with the problem named.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendStore } from '../../src/backend/backendStore.ts';
import type { FareReport } from '../../src/cli/commands/backendReport.ts';
import type { TapMessage } from '../../src/contract/settlement.ts';
import { main } from '../../src/cli/main.ts';
import { runFaregate } from '../support/cli.ts';
import { makeBatch, makeTap, tempDir } from '../backend/fakeGate.ts';
import { cst } from './fareTestKit.ts';

const A = 'a1a1a1a1';
const B = 'b2b2b2b2';
const C = 'c3c3c3c3';
const metro = (deviceId: string, sub: string, at: number, direction: 'in' | 'out', place: string, profile = 0) =>
  makeTap(deviceId, { sub, at, mode: 'metro', direction, place, profile, fare: undefined });

describe('faregate backend report', () => {
  const tmp = tempDir();
  const db = `${tmp.dir}/settled.db`;

  beforeAll(() => {
    const store = new BackendStore({ file: db }).open();
    const bus: TapMessage[] = [makeTap('bus-1', { sub: A, at: cst(2, '08:00'), place: '518', fare: 200 })];
    const gates: TapMessage[] = [
      metro('st1-g1', A, cst(2, '08:30'), 'in', 'st-1'), // A: st-1 → st-3, 4.00 less a 1.00 transfer
      metro('st3-g2', A, cst(2, '09:00'), 'out', 'st-3'),
      metro('st1-g1', B, cst(2, '10:00'), 'in', 'st-1', 1), // B (child): no exit, 9.00
      metro('st4-g1', B, cst(3, '12:00'), 'out', 'st-4', 1), // B: no entry, 9.00 on 3 Dec
      metro('st1-g2', C, cst(2, '08:00'), 'in', 'st-2', 3), // C (senior): st-2 → st-4, 6.00 all off
      metro('st4-g1', C, cst(2, '08:40'), 'out', 'st-4', 3),
      makeTap('st1-g1', { at: cst(2, '11:00'), mode: 'metro', direction: 'in', place: 'st-1', currency: 'HKD' }),
    ];
    store.insertBatch(makeBatch('bus-1', bus).taps, { batchId: 'b-1' });
    store.insertBatch(makeBatch('bus-1', bus).taps, { batchId: 'b-2' }); // a replay: priced once
    store.insertBatch(gates, { batchId: 'b-3' });
    store.close();
  });
  afterAll(() => tmp.cleanup());

  it('--json: journeys per business day, priced by the example fare file, in minor units and as text', async () => {
    const r = await runFaregate(['backend', 'report', '--db', db, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as FareReport;
    expect(report.fares).toEqual({
      file: expect.stringMatching(/config\/fares\.example\.yaml$/),
      currency: 'CNY',
      exponent: 2,
    });
    expect(report.by).toBe('day');
    expect(report.rows).toEqual([
      {
        key: '2026-12-02',
        journeys: 4,
        taps: 6,
        gross: 2100,
        discounts: 700,
        net: 1400,
        grossText: '21.00 CNY',
        discountsText: '7.00 CNY',
        netText: '14.00 CNY',
        flags: { tap_fare: 1, transfer: 1, max_fare_missing_exit: 1, concession: 1 },
      },
      {
        key: '2026-12-03',
        journeys: 1,
        taps: 1,
        gross: 900,
        discounts: 0,
        net: 900,
        grossText: '9.00 CNY',
        discountsText: '0.00 CNY',
        netText: '9.00 CNY',
        flags: { exit_without_entry: 1 },
      },
    ]);
    expect(report.totals).toMatchObject({ journeys: 5, taps: 7, net: 2300, netText: '23.00 CNY' });
    expect(report.notPriced).toEqual({ openEntries: 0, otherCurrency: 1, duplicateIds: 0 });
    expect(report.devices).toEqual([
      expect.objectContaining({ deviceId: 'bus-1', batches: 2, taps: 1, duplicates: 1 }),
      expect.objectContaining({ deviceId: 'st1-g1' }),
      expect.objectContaining({ deviceId: 'st1-g2' }),
      expect.objectContaining({ deviceId: 'st3-g2' }),
      expect.objectContaining({ deviceId: 'st4-g1' }),
    ]);
  });

  it('--by profile: rows named by profile, amounts as currency, flag columns', async () => {
    const r = await runFaregate(['backend', 'report', '--db', db, '--by', 'profile']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^profile\s+journeys\s+taps\s+gross\s+discounts\s+net\s+missing exit\s+no entry\s+re-entry/,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^adult\s+2\s+3\s+6\.00 CNY\s+1\.00 CNY\s+5\.00 CNY\s+0\s+0\s+0\s+1\s+0\s+0$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^child\s+2\s+2\s+18\.00 CNY\s+0\.00 CNY\s+18\.00 CNY\s+1\s+1\s+0\s+0\s+0\s+0$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^senior\s+1\s+2\s+6\.00 CNY\s+6\.00 CNY\s+0\.00 CNY\s/));
    expect(r.stdout).toContain('total: 5 journeys, 7 taps, net 23.00 CNY (gross 30.00 CNY, discounts 7.00 CNY)');
    expect(r.stdout).toContain('not priced: 1 taps in another currency than CNY');
  });

  it('--csv --by station-pair: a header line, then one line per mode and pair', async () => {
    const r = await runFaregate(['backend', 'report', '--db', db, '--by', 'station-pair', '--csv']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'from_to,mode,journeys,taps,gross,discounts,net,currency,' +
        'max_fare_missing_exit,exit_without_entry,re_entry,transfer,capped_daily,capped_trip',
      '518 → 518,bus,1,1,2.00,0.00,2.00,CNY,0,0,0,0,0,0',
      '? → st-4,metro,1,1,9.00,0.00,9.00,CNY,0,1,0,0,0,0',
      'st-1 → ?,metro,1,1,9.00,0.00,9.00,CNY,1,0,0,0,0,0',
      'st-1 → st-3,metro,1,2,4.00,1.00,3.00,CNY,0,0,0,1,0,0',
      'st-2 → st-4,metro,1,2,6.00,6.00,0.00,CNY,0,0,0,0,0,0',
    ]);
  });

  it("--by device --from --to: the first tap's device, only the days asked for", async () => {
    const r = await runFaregate([
      'backend',
      'report',
      '--db',
      db,
      '--by',
      'device',
      '--from',
      '2026-12-03',
      '--to',
      '2026-12-03',
      '--csv',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').slice(1)).toEqual(['st4-g1,1,1,9.00,0.00,9.00,CNY,0,1,0,0,0,0']);
    const none = await runFaregate(['backend', 'report', '--db', db, '--from', '2026-12-10']);
    expect(none.stdout.split('\n')[0]).toBe('no journeys');
  });

  it('--fares FILE prices by that file (JSON is YAML too); its currency and exponent write the amounts', async () => {
    const fares = `${tmp.dir}/flat.json`;
    writeFileSync(
      fares,
      JSON.stringify({
        currency: 'CNY',
        exponent: 2,
        bus: { useTapFare: false, default: 100 },
        metro: {
          zones: { 'st-1': 'A', 'st-2': 'A', 'st-3': 'A', 'st-4': 'A' },
          zoneFares: [{ zones: ['A', 'A'], amount: 250 }],
          maxFare: { missingExit: 500, exitWithoutEntry: 400 },
        },
      }),
    );
    const r = await runFaregate(['backend', 'report', '--db', db, '--fares', fares, '--json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as FareReport;
    expect(report.rows.map((x) => [x.key, x.netText])).toEqual([
      ['2026-12-02', '11.00 CNY'], // 1.00 + 2.50 + 5.00 + 2.50
      ['2026-12-03', '4.00 CNY'],
    ]);
  });

  it("honours the credential's per-trip cap that the taps carried into the store", async () => {
    const capped = `${tmp.dir}/capped.db`;
    const store = new BackendStore({ file: capped }).open();
    const D = 'd4d4d4d4';
    store.insertBatch(
      [
        makeTap('st1-g1', { sub: D, at: cst(4, '08:00'), mode: 'metro', direction: 'in', place: 'st-1', cap: 300 }),
        makeTap('st4-g1', { sub: D, at: cst(4, '08:30'), mode: 'metro', direction: 'out', place: 'st-4', cap: 300 }),
      ].map(({ fare: _fare, ...t }) => t),
      { batchId: 'c-1' },
    );
    store.close();
    const r = await runFaregate(['backend', 'report', '--db', capped, '--by', 'station-pair', '--csv']);
    expect(r.stderr).toBe('');
    // st-1 → st-4 is 5.50 in the example's station pairs; the credential caps a trip at 3.00
    expect(r.stdout.trimEnd().split('\n')[1]).toBe('st-1 → st-4,metro,1,2,5.50,2.50,3.00,CNY,0,0,0,0,0,1');
  });

  it('a fare file with problems: exit 2, every problem with its path', async () => {
    const bad = `${tmp.dir}/bad.yaml`;
    writeFileSync(bad, 'currency: cny\nbus: { default: 1.5 }\nmetro: {}\n');
    const r = await runFaregate(['backend', 'report', '--db', db, '--fares', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^faregate backend: failed: FG-604 fare file ${bad}: 3 problems\\n`));
    expect(r.stderr).toContain('  currency: must be an ISO 4217 code');
    expect(r.stderr).toContain('  bus.default: ');
    expect(r.stderr).toContain('  metro.maxFare: ');
  });

  it('a missing store: exit 2 with one line (real CLI)', async () => {
    const r = await runFaregate(['backend', 'report', '--db', `${tmp.dir}/missing.db`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`faregate backend: --db ${tmp.dir}/missing.db: no such store\n`);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['backend', 'report']],
    [['backend', 'report', '--db', db, '--bogus']],
    [['backend', 'report', '--db', db, '--by', 'week']],
    [['backend', 'report', '--db', db, '--from', '2026-13-01']],
    [['backend', 'report', '--db', db, '--from', '2026-12-03', '--to', '2026-12-02']],
    [['backend', 'report', '--db', db, '--json', '--csv']],
    [['backend', '--db', db]],
    [['backend', '--mqtt', 'http://x', '--db', db]],
    [['backend', '--mqtt', 'mqtt://127.0.0.1:1', '--db', db, '--protocol', '3']],
    [['backend', '--mqtt', 'mqtt://127.0.0.1:1', '--db', db, '--no-shared', '--shared-group', 'g']],
    [['backend', '--mqtt', 'mqtt://127.0.0.1:1', '--db', db, '--ca', '/nonexistent']],
    [['backend', '--mqtt', 'mqtts://127.0.0.1:1', '--db', db, '--ca', '/nonexistent']],
    [['backend', '--mqtt', 'mqtt://127.0.0.1:1', '--db', db, '--password-file', '/nonexistent']],
    [['backend', '--mqtt', 'mqtts://127.0.0.1:1', '--db', db, '--cert', '/nonexistent']],
    [['backend', 'frobnicate']],
  ])('unusable arguments exit 2 with one line (then the usage, for an argument): %j', async (args) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, {
      stdin: (async function* () {})(),
      writeLine: async (l) => void out.push(l),
      error: (l) => void err.push(l),
    });
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^faregate backend/);
    expect(err[0]).not.toContain('\n');
    for (const usage of err.slice(1)) expect(usage).toMatch(/^usage: faregate backend/);
  });
});

/**
 * `faregate backend report --db F [--json]` (the real CLI, as a child process) on a store filled
 * here: settled taps and fare sums per UTC day, device, profile and currency; bad args exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendStore, type Report } from '../../src/backend/backendStore.ts';
import { main } from '../../src/cli/main.ts';
import { runFaregate } from '../support/cli.ts';
import { makeBatch, makeTap, tempDir } from './fakeGate.ts';

const DAY1 = Date.UTC(2026, 10, 20, 23, 59, 59, 999); // 2026-11-20, last ms
const DAY2 = Date.UTC(2026, 10, 21, 0, 0, 0, 0); // 2026-11-21, first ms

describe('faregate backend report', () => {
  const tmp = tempDir();
  const db = `${tmp.dir}/settled.db`;

  beforeAll(() => {
    const store = new BackendStore({ file: db }).open();
    const a1 = [
      makeTap('gate-a', { at: DAY1, fare: 200 }),
      makeTap('gate-a', { at: DAY1 - 3_600_000, fare: 200 }),
      makeTap('gate-a', { at: DAY1, profile: 1, fare: 100 }),
    ];
    const a2 = [makeTap('gate-a', { at: DAY2, fare: 200 })];
    const b1 = [
      makeTap('gate-b', { at: DAY2 + 1000, mode: 'metro', direction: 'in', place: 'st-1', fare: undefined }),
      makeTap('gate-b', { at: DAY2 + 2000, mode: 'metro', direction: 'out', place: 'st-2', fare: 450 }),
    ];
    store.insertBatch(makeBatch('gate-a', [...a1, ...a2]).taps, { batchId: 'b-1' });
    store.insertBatch(makeBatch('gate-a', a1).taps, { batchId: 'b-2' }); // replay: 3 duplicates
    store.insertBatch(makeBatch('gate-b', b1).taps, { batchId: 'b-3' });
    store.recordMalformed('gate-b');
    store.close();
  });
  afterAll(() => tmp.cleanup());

  it('--json: rows per day, device, profile and currency; totals; per-device counters', async () => {
    const r = await runFaregate(['backend', 'report', '--db', db, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.rows).toEqual([
      { day: '2026-11-20', deviceId: 'gate-a', profile: 0, currency: 'CNY', taps: 2, priced: 2, fareTotal: 400 },
      { day: '2026-11-20', deviceId: 'gate-a', profile: 1, currency: 'CNY', taps: 1, priced: 1, fareTotal: 100 },
      { day: '2026-11-21', deviceId: 'gate-a', profile: 0, currency: 'CNY', taps: 1, priced: 1, fareTotal: 200 },
      { day: '2026-11-21', deviceId: 'gate-b', profile: 0, currency: 'CNY', taps: 2, priced: 1, fareTotal: 450 },
    ]);
    expect(report.totals).toEqual({ taps: 6, priced: 5, fareTotals: { CNY: 1150 } });
    expect(report.devices).toEqual([
      expect.objectContaining({ deviceId: 'gate-a', batches: 2, taps: 4, duplicates: 3, malformed: 0 }),
      expect.objectContaining({ deviceId: 'gate-b', batches: 1, taps: 2, duplicates: 0, malformed: 1 }),
    ]);
  });

  it('prints a readable table by default', async () => {
    const r = await runFaregate(['backend', 'report', '--db', db]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^day \(UTC\)\s+device\s+profile\s+currency\s+taps\s+priced\s+fares/);
    expect(lines).toContainEqual(expect.stringMatching(/^2026-11-21\s+gate-b\s+0\s+CNY\s+2\s+1\s+450$/));
    expect(r.stdout).toContain('total: 6 taps, 5 priced, fares 1150 CNY');
  });

  it('unusable arguments exit 2 with one line (real CLI)', async () => {
    const r = await runFaregate(['backend', 'report', '--db', `${tmp.dir}/missing.db`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`faregate backend: --db ${tmp.dir}/missing.db: no such store\n`);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['backend', 'report']],
    [['backend', 'report', '--db', db, '--bogus']],
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

/**
 * `faregate taps --json` prints StoreReader's TapView: since the tap has one row mapping
 * (src/store/tapRow.ts) the view is made from it, and its JSON must stay what it was: the same
 * fields in the same order, fare null and flags [] when the tap has none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Tap } from '../../src/domain/tap.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { StoreReader } from '../../src/store/storeReader.ts';
import { TapStore } from '../../src/store/tapStore.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faregate-view-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tap = (n: number, extra: Partial<Tap> = {}): Tap => ({
  id: `t-${n}`,
  deviceId: 'gate-7',
  at: 1_700_000_000_000 + n,
  mode: 'bus',
  place: 'route-42',
  direction: 'board',
  sub: 'ab',
  cti: 'cd',
  codeId: '0123456789abcdef0123456789abcdef',
  ts: 1_700_000_000,
  seq: n,
  profile: 1,
  currency: 'CNY',
  ...extra,
});

it('shows each tap with the fields and order faregate taps --json has always printed', () => {
  const store = new TapStore({ file: join(dir, 'faregate.sqlite'), synchronous: 'NORMAL', logger: silentLogger });
  store.open();
  store.recordTap(tap(1));
  store.recordTap(tap(2, { fare: 100, flags: ['stale_lists'] }));
  store.markSent(['t-2'], 1_700_000_000_500, () => 1000);
  store.markSettled(['t-2'], 1_700_000_000_600);
  store.close();

  const reader = StoreReader.open(dir);
  const view = reader.taps({ limit: 10, unsettledOnly: false });
  reader.close();
  expect(view.counts).toEqual({ total: 2, unsettled: 1, settled: 1, rejected: 0, backendRejected: 0 });
  expect(view.taps.map((t) => JSON.stringify(t))).toEqual([
    '{"id":"t-2","at":1700000000002,"mode":"bus","place":"route-42","direction":"board","sub":"ab","cti":"cd",' +
      '"codeId":"0123456789abcdef0123456789abcdef","profile":1,"fare":100,"currency":"CNY","flags":["stale_lists"],' +
      '"settled":true,"settledAt":1700000000600,"attempts":1,' +
      // Added by settlement-mqtt-v1 Amendment 1, after every field printed before.
      '"state":"settled","rejectedReason":null,"rejectedAt":null}',
    '{"id":"t-1","at":1700000000001,"mode":"bus","place":"route-42","direction":"board","sub":"ab","cti":"cd",' +
      '"codeId":"0123456789abcdef0123456789abcdef","profile":1,"fare":null,"currency":"CNY","flags":[],' +
      '"settled":false,"settledAt":null,"attempts":0,"state":"unsettled","rejectedReason":null,"rejectedAt":null}',
  ]);
});
